// node test/bench/subscription-flood.ts: how fast one endpoint delivers while a peer floods
// another endpoint of the same shipper with 100,000 subscription topics (BENCH_TOPICS),
// against two baselines: no flood at all ("quiet"), and the same flooding process aimed at
// an XPUB socket of another process ("control"), which takes the same CPU from a shared
// machine (the flooder's and libzmq's filing of the topics) without touching the shipper.
// BENCH_FLOOD=repeat floods instead with one subscription repeated for the whole run, from a
// raw ZMTP peer: libzmq files each repeat without telling the shipper, so nothing counts it.
// BENCH_CLI points at another checkout's src/cli/index.ts to compare.
// Records go as fast as the good subscriber takes them (at most 5,000 in flight); the
// shipper's CPU time per record (user + system, from /proc) is printed beside the rate.

import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Subscriber, XPublisher } from 'zeromq'
import { waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'

const CLI = process.env.BENCH_CLI ?? fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url))
const RECORDS = Number(process.env.BENCH_RECORDS ?? 100_000)
const IN_FLIGHT = 5000
const FLOOD = `
import sys, zmq
s = zmq.Context().socket(zmq.XSUB)
s.connect(sys.argv[1])
for i in range(int(sys.argv[2])):
    s.send(b'\\x01%08d' % i + b'q' * 240)
input()
`
const REPEAT = `
import socket, sys, time
host, port = sys.argv[1].split('//')[1].split(':')[0], int(sys.argv[1].split(':')[-1])
ready = bytes([5]) + b'READY' + bytes([11]) + b'Socket-Type' + bytes([0, 0, 0, 3]) + b'SUB'
chunk = (bytes([0, 2, 1]) + b'x') * 100000
while True:  # cut off: straight back, as an attacker would
    try:
        s = socket.create_connection((host, port))
        s.sendall(bytes([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0]) + b'NULL' + bytes(48) + bytes([4, len(ready)]) + ready)
        time.sleep(0.05)
        while True:
            s.sendall(chunk)
    except OSError:
        time.sleep(0.01)
`
const FLOODER = process.env.BENCH_FLOOD === 'repeat' ? [REPEAT] : [FLOOD]
const floodArgs = (target: string): string[] => (process.env.BENCH_FLOOD === 'repeat' ? [target] : [target, process.env.BENCH_TOPICS ?? '100000'])

/** A socket that is not the shipper's for the control run's flood: it files the topics as the shipper's would. */
const SINK = `
import sys, zmq
s = zmq.Context().socket(zmq.XPUB)
s.bind(sys.argv[1])
while True:
    s.recv()
`

type Mode = 'quiet' | 'control' | 'flooded'

/** CPU seconds a process has used (user + system), from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ 100)
}

/** The rate, the shipper's CPU per timed record, and its CPU seconds over the 2 s the flood had before timing began. */
async function run(mode: Mode): Promise<{ rate: number; cpuMicros: number; floodCpu: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'zzs-flood-'))
  const exposed = `tcp://127.0.0.1:${20000 + Math.floor(Math.random() * 20000)}`
  const env = {
    PATH: process.env.PATH ?? '',
    ZEEK_ZMQ_INPUTS: `ipc://${dir}/in.sock`,
    ZEEK_ZMQ_ENDPOINTS: `${exposed}?name=exposed&mode=bind ipc://${dir}/good.sock?name=good&mode=bind&hwm=100000`,
    ZEEK_ZMQ_HTTP_HOST: '127.0.0.1',
    ZEEK_ZMQ_HTTP_PORT: '0',
    ZEEK_ZMQ_LOG_LEVEL: 'error',
  }
  const shipper = spawn(process.execPath, [CLI, 'run'], { env, stdio: 'ignore' })
  const good = new Subscriber()
  good.subscribe()
  good.connect(`ipc://${dir}/good.sock`)
  let received = 0
  void (async () => {
    for await (const _ of good) received++
  })().catch(() => {})
  const pub = new XPublisher({ sendHighWaterMark: 0 })
  pub.connect(`ipc://${dir}/in.sock`)
  await pub.receive() // the input's subscription
  const sinkAddress = `tcp://127.0.0.1:${20000 + Math.floor(Math.random() * 20000)}`
  const sink = mode === 'control' ? spawn('/usr/bin/python3', ['-c', SINK, sinkAddress], { stdio: 'ignore' }) : undefined
  const target = mode === 'control' ? sinkAddress : exposed
  const cpuAtStart = cpuSeconds(shipper.pid!)
  const peer = mode === 'quiet' ? undefined : spawn('/usr/bin/python3', ['-c', ...FLOODER, ...floodArgs(target)], { stdio: ['pipe', 'ignore', 'inherit'] })
  if (peer !== undefined) await new Promise((resolve) => setTimeout(resolve, 2000)) // the flood under way
  // Wait for the good subscriber, then time RECORDS records through it.
  for (let i = 0; received === 0; i++) {
    await pub.send(zeekMessage(i))
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  const start = received
  const began = process.hrtime.bigint()
  const cpuBefore = cpuSeconds(shipper.pid!)
  const floodCpu = cpuBefore - cpuAtStart
  for (let i = 0; i < RECORDS; i++) {
    while (i - (received - start) > IN_FLIGHT) await new Promise((resolve) => setImmediate(resolve))
    await pub.send(zeekMessage(i))
  }
  await waitFor(() => received - start >= RECORDS, 'every record', 600_000, 5)
  const seconds = Number(process.hrtime.bigint() - began) / 1e9
  const cpu = cpuSeconds(shipper.pid!) - cpuBefore
  peer?.kill()
  sink?.kill()
  shipper.kill('SIGTERM')
  await new Promise((resolve) => shipper.once('exit', resolve))
  pub.close()
  good.close()
  rmSync(dir, { recursive: true, force: true })
  return { rate: RECORDS / seconds, cpuMicros: (cpu / RECORDS) * 1e6, floodCpu }
}

const rounds = Number(process.env.BENCH_ROUNDS ?? 2)
for (let round = 0; round < rounds; round++) {
  const rates: Partial<Record<Mode, number>> = {}
  for (const mode of ['quiet', 'control', 'flooded'] as const) {
    const { rate, cpuMicros, floodCpu } = await run(mode)
    rates[mode] = rate
    console.log(`${mode.padEnd(7)}: ${Math.round(rate)} records/s to the other endpoint, shipper CPU ${cpuMicros.toFixed(1)} µs/record (${floodCpu.toFixed(2)} s before timing)`)
  }
  console.log(`round ${round + 1}: flooded/control ${((rates.flooded! / rates.control!) * 100).toFixed(0)}%, flooded/quiet ${((rates.flooded! / rates.quiet!) * 100).toFixed(0)}%`)
}
