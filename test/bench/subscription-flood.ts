// node test/bench/subscription-flood.ts: how fast one endpoint delivers while a peer floods
// another endpoint of the same shipper with 100,000 subscription topics (BENCH_TOPICS),
// against the same run without the flood. BENCH_CLI points at another checkout's src/cli/index.ts to compare.
// Records go as fast as the good subscriber takes them (at most 5,000 in flight).

import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
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

async function run(flood: boolean): Promise<number> {
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
  const peer = flood ? spawn('/usr/bin/python3', ['-c', FLOOD, exposed, process.env.BENCH_TOPICS ?? '100000'], { stdio: ['pipe', 'ignore', 'inherit'] }) : undefined
  if (peer !== undefined) await new Promise((resolve) => setTimeout(resolve, 2000)) // the flood under way
  // Wait for the good subscriber, then time RECORDS records through it.
  for (let i = 0; received === 0; i++) {
    await pub.send(zeekMessage(i))
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  const start = received
  const began = process.hrtime.bigint()
  for (let i = 0; i < RECORDS; i++) {
    while (i - (received - start) > IN_FLIGHT) await new Promise((resolve) => setImmediate(resolve))
    await pub.send(zeekMessage(i))
  }
  await waitFor(() => received - start >= RECORDS, 'every record', 600_000, 5)
  const seconds = Number(process.hrtime.bigint() - began) / 1e9
  peer?.kill()
  shipper.kill('SIGTERM')
  await new Promise((resolve) => shipper.once('exit', resolve))
  pub.close()
  good.close()
  rmSync(dir, { recursive: true, force: true })
  return RECORDS / seconds
}

for (const flood of [false, true, false, true]) {
  const rate = await run(flood)
  console.log(`${flood ? 'flooded' : 'quiet  '}: ${Math.round(rate)} records/s to the other endpoint`)
}
