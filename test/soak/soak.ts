// npm run soak: the shipper for a long while under the faults of an ordinary week, printing
// what an operator would watch. Not a CI test: its figures go in the README.
//
//   SOAK_MINUTES=20 SOAK_RATE=20000 npm run soak
//
// A producer publishes numbered records at SOAK_RATE into the shipper's input, as Zeek's
// writer does; one endpoint with a disk spool sends them to a subscriber that leaves for
// SOAK_AWAY_S seconds every minute; the shipper itself is stopped (SIGTERM) and started
// again every five minutes, and SIGKILLed once, half way. Every 10 s a line gives RSS, CPU,
// the spool, the shipper's counters and the accounting identity; at the end, what the
// subscriber received against what was published: missing, duplicated, out of order.

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Publisher, Subscriber } from 'zeromq'
import { identityGap, sampleValue, sumOf } from '../helpers/shipper.ts'

const CLI = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url))
const MINUTES = Number(process.env.SOAK_MINUTES ?? 20)
const RATE = Number(process.env.SOAK_RATE ?? 20_000)
const AWAY_S = Number(process.env.SOAK_AWAY_S ?? 20)
const SPOOL_MAX = process.env.SOAK_SPOOL_MAX ?? '2GiB'
const HTTP_PORT = 18_000 + (process.pid % 1000)
const CLOCK_TICKS = 100

const dir = mkdtempSync(join(tmpdir(), 'zzs-soak-'))
const input = `ipc://${join(dir, 'zeek.sock')}`
const siem = `ipc://${join(dir, 'siem.sock')}`
const padding = 'x'.repeat(380) // records of about 420 bytes, like Zeek's conn records
const record = (seq: number): Buffer[] => [Buffer.from('conn'), Buffer.from(`{"seq":${seq},"pad":"${padding}"}`)]

let shipper: ChildProcess | undefined
let cpuBefore = 0
function startShipper(): void {
  shipper = spawn(process.execPath, [CLI, 'run'], {
    env: {
      PATH: process.env.PATH,
      ZEEK_ZMQ_INPUTS: input,
      ZEEK_ZMQ_ENDPOINTS: `${siem}?name=siem&spool=${join(dir, 'spool')}&spool_max=${SPOOL_MAX}`,
      ZEEK_ZMQ_HTTP_HOST: '127.0.0.1',
      ZEEK_ZMQ_HTTP_PORT: String(HTTP_PORT),
      ZEEK_ZMQ_LINGER_MS: '2000',
      ZEEK_ZMQ_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  cpuBefore = 0
}
async function stopShipper(signal: NodeJS.Signals): Promise<void> {
  const child = shipper
  if (child === undefined || child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill(signal)
  await exited
}

function procStats(pid: number): { rssMiB: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return { rssMiB: rssKiB / 1024, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS }
}

// The subscriber: every seq it got, how often, and how often one came before an earlier one.
const seen = new Uint8Array(Math.ceil(RATE * MINUTES * 60 * 1.05) + 1)
let received = 0
let duplicates = 0
let outOfOrder = 0
let lastSeq = -1
let sub: Subscriber | undefined
async function subscribe(): Promise<void> {
  const socket = new Subscriber({ receiveHighWaterMark: 100_000 })
  sub = socket
  socket.subscribe()
  await socket.bind(siem)
  try {
    for await (const [, body] of socket) {
      const seq = Number(/"seq":(\d+)/.exec(body!.toString('latin1'))![1])
      if (seen[seq]! > 0) duplicates++
      else received++
      if (seq < lastSeq) outOfOrder++
      lastSeq = seq
      seen[seq] = Math.min(255, seen[seq]! + 1)
    }
  } catch {
    // closed: the subscriber went away
  }
}
async function unsubscribe(): Promise<void> {
  const socket = sub
  sub = undefined
  socket?.close()
}

let published = 0
async function produce(until: number): Promise<void> {
  const pub = new Publisher()
  pub.connect(input)
  const start = Date.now()
  while (Date.now() < until) {
    const due = Math.floor(((Date.now() - start) / 1000) * RATE)
    while (published < due) await pub.send(record(published++))
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  pub.linger = 5000
  pub.close()
}

async function report(startedAt: number): Promise<void> {
  const t = ((Date.now() - startedAt) / 1000).toFixed(0)
  const pid = shipper?.pid
  let line = `t=${t}s published=${published} received=${received} duplicates=${duplicates} outOfOrder=${outOfOrder}`
  if (pid !== undefined && shipper!.exitCode === null) {
    const { rssMiB, cpuSeconds } = procStats(pid)
    const cpu = cpuBefore === 0 ? 0 : ((cpuSeconds - cpuBefore) / 10) * 100
    cpuBefore = cpuSeconds
    try {
      const text = await (await fetch(`http://127.0.0.1:${HTTP_PORT}/metrics`)).text()
      const inputRecords = sumOf(text, 'zeek_zmq_input_records_total')
      const sent = sumOf(text, 'zeek_zmq_endpoint_sent_records_total')
      const dropped = sumOf(text, 'zeek_zmq_endpoint_dropped_records_total') + sampleValue(text, 'zeek_zmq_endpoint_filtered_records_total', { endpoint: 'siem' })
      const queued = sampleValue(text, 'zeek_zmq_endpoint_queue_records', { endpoint: 'siem' })
      const spooled = sampleValue(text, 'zeek_zmq_endpoint_spool_records', { endpoint: 'siem' })
      const spoolMiB = sampleValue(text, 'zeek_zmq_endpoint_spool_bytes', { endpoint: 'siem' }) / 2 ** 20
      const identity = identityGap(text, 'siem')
      line += ` rss=${rssMiB.toFixed(0)}MiB cpu=${cpu.toFixed(0)}% input=${inputRecords} sent=${sent} dropped+filtered=${dropped} queued=${queued} spooled=${spooled} spool=${spoolMiB.toFixed(1)}MiB identity_gap=${identity}`
    } catch {
      line += ' (metrics not answering)'
    }
  } else {
    line += ' (shipper down)'
  }
  process.stdout.write(`${line}\n`)
}

const startedAt = Date.now()
const end = startedAt + MINUTES * 60_000
startShipper()
await new Promise((resolve) => setTimeout(resolve, 2000))
void subscribe()
const producing = produce(end)
const timer = setInterval(() => void report(startedAt), 10_000)
let minute = 0
while (Date.now() < end) {
  await new Promise((resolve) => setTimeout(resolve, 60_000 - AWAY_S * 1000))
  if (Date.now() >= end) break
  minute++
  await unsubscribe()
  process.stdout.write(`-- minute ${minute}: subscriber away for ${AWAY_S} s\n`)
  if (minute % 5 === 0 || minute === Math.floor(MINUTES / 2)) {
    const signal = minute === Math.floor(MINUTES / 2) ? 'SIGKILL' : 'SIGTERM'
    process.stdout.write(`-- minute ${minute}: shipper ${signal} at published=${published}, started again\n`)
    await stopShipper(signal)
    startShipper()
  }
  await new Promise((resolve) => setTimeout(resolve, AWAY_S * 1000))
  void subscribe()
}
await producing
// Let the spool drain to the subscriber.
for (let i = 0; i < 60; i++) {
  await new Promise((resolve) => setTimeout(resolve, 5000))
  await report(startedAt)
  if (received + duplicates >= published) break
}
clearInterval(timer)
// Missing records come in runs: say where each starts, to set against the restarts above
// (while no shipper is bound, the producer's PUB socket drops what it publishes, as Zeek's does).
let missing = 0
const runs: string[] = []
for (let seq = 0; seq < published; seq++) {
  if (seen[seq] !== 0) continue
  let end = seq
  while (end + 1 < published && seen[end + 1] === 0) end++
  missing += end - seq + 1
  runs.push(`${end - seq + 1} from ${seq}`)
  seq = end
}
process.stdout.write(`\nsoak: ${MINUTES} min at ${RATE} records/s: published ${published}, received ${received}, missing ${missing} (runs: ${runs.join(', ') || 'none'}), duplicates ${duplicates}, out of order ${outOfOrder}\n`)
await stopShipper('SIGTERM')
await unsubscribe()
rmSync(dir, { recursive: true, force: true })
process.exit(0)
