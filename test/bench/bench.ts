// npm run bench: the shipper against libzmq's own forwarder and the simplest zeromq.js
// loop, measured in the same run on the same machine, over ipc with real-shaped records.
//
// Every forwarder runs in its own process; its CPU time and peak RSS are read from /proc.
// Producer and consumer run in processes of their own beside it and share the machine's
// cores: figures are for comparison within one run, not absolute.

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { keygen } from '../../src/cli/keygen.ts'
import { DiskSpool } from '../../src/spool/disk-spool.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'
import { waitFor } from '../helpers/sockets.ts'

const HERE = fileURLToPath(new URL('.', import.meta.url))
const CLI = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url))
const CLOCK_TICKS = 100 // USER_HZ on Linux
const STEADY_RATE = 20_000
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 5)
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 2)
const STEP_RATES = [20_000, 40_000, 60_000, 80_000, 100_000, 130_000, 160_000, 200_000, 250_000]
// Narrow a run while working on one case: BENCH_KINDS=loop,shipper BENCH_ENDPOINTS=4 BENCH_RATE_STEPS=0
const KINDS = (process.env.BENCH_KINDS ?? 'proxy,loop,shipper,native,shipper-tcp,shipper-curve,shipper-spool,shipper-replay').split(',') as Kind[]
const ENDPOINT_COUNTS = (process.env.BENCH_ENDPOINTS ?? '1,4').split(',').map(Number)
const RATE_STEPS = process.env.BENCH_RATE_STEPS === '0' ? [] : STEP_RATES

// shipper-tcp and shipper-curve: the shipper with its endpoints on tcp (loopback), plain
// and as CURVE servers (curve=server&clients=DIR), to show what encryption costs.
// shipper-spool: every endpoint with a disk spool, which every record goes through.
// shipper-replay: the same, each spool holding REPLAY_RECORDS left by an earlier run, which
// it replays alongside the live records of the steady part (CPU per record counts both).
type Kind = 'proxy' | 'loop' | 'native' | 'shipper' | 'shipper-tcp' | 'shipper-curve' | 'shipper-spool' | 'shipper-replay'
const REPLAY_RECORDS = Number(process.env.BENCH_REPLAY_RECORDS ?? 100_000)

/** Records left in each endpoint's spool by an earlier run, for the shipper-replay kind. */
function prefill(kind: Kind): number {
  return kind === 'shipper-replay' ? REPLAY_RECORDS : 0
}

async function fillSpool(spoolDir: string, records: number): Promise<void> {
  const spool = await DiskSpool.open(spoolDir, { maxBytes: 1024 ** 3, sync: 'interval' })
  for (let i = 0; i < records; i++) spool.append(zeekMessage(i))
  await spool.close()
}

interface Started {
  readonly child: ChildProcess
  readonly lines: string[]
}

function start(command: string[], env: NodeJS.ProcessEnv = process.env): Started {
  const child = spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: string[] = []
  let rest = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n')
    rest = parts.pop()!
    lines.push(...parts)
  })
  return { child, lines }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function stop(started: Started): Promise<void> {
  if (started.child.exitCode !== null) return
  const exited = new Promise((resolve) => started.child.once('exit', resolve))
  started.child.kill('SIGTERM')
  await exited
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS // utime + stime
}

function peakRssMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(match?.[1] ?? 0) / 1024
}

/** Starts a forwarder with `endpoints` outputs; returns it and the addresses consumers use. */
async function startForwarder(kind: Kind, dir: string, endpoints: number): Promise<{ forwarder: Started; input: string; outputs: string[] }> {
  const input = `ipc://${join(dir, `${kind}-in.sock`)}`
  const outs = Array.from({ length: endpoints }, (_, i) => `ipc://${join(dir, `${kind}-out${i}.sock`)}`)
  if (kind.startsWith('shipper')) {
    const tcp = kind === 'shipper-tcp' || kind === 'shipper-curve'
    const curve = kind === 'shipper-curve' ? `&curve=server&clients=${join(dir, 'clients')}` : ''
    const spoolOf = (i: number): string => join(dir, `${kind}-${endpoints}-spool${i}`)
    const spooling = kind === 'shipper-spool' || kind === 'shipper-replay'
    for (let i = 0; i < endpoints && prefill(kind) > 0; i++) await fillSpool(spoolOf(i), prefill(kind))
    const specs = outs.map((address, i) => `${tcp ? 'tcp://127.0.0.1:*' : address}?mode=bind&name=e${i}${curve}${spooling ? `&spool=${spoolOf(i)}` : ''}`)
    const forwarder = start([process.execPath, CLI, 'run'], {
      ...process.env,
      ZEEK_ZMQ_INPUTS: input,
      ZEEK_ZMQ_ENDPOINTS: specs.join(' '),
      ZEEK_ZMQ_HTTP_HOST: '127.0.0.1',
      ZEEK_ZMQ_HTTP_PORT: '0',
      ZEEK_ZMQ_LINGER_MS: '0',
      ZEEK_ZMQ_DATA_PLANE: 'js', // the native plane is the kind "native"
      ...(curve === '' ? {} : { ZEEK_ZMQ_CURVE_CERT: join(dir, 'shipper.key_secret') }),
    })
    await waitFor(() => forwarder.lines.some((l) => l.includes('"shipper ready"')), 'the shipper', 30_000)
    const bound = forwarder.lines.filter((l) => l.includes('"endpoint open"')).map((l) => (JSON.parse(l) as { address: string }).address)
    return { forwarder, input, outputs: tcp ? bound : outs }
  }
  // libzmq's proxy fans out inside one XPUB socket: every consumer connects to it.
  const bound = kind === 'proxy' ? [outs[0]!] : outs
  const forwarder = start([process.execPath, join(HERE, 'forwarder.ts'), kind, input, ...bound])
  await waitFor(() => forwarder.lines.includes('ready'), kind, 30_000)
  return { forwarder, input, outputs: kind === 'proxy' ? outs.map(() => outs[0]!) : outs }
}

function lastCounts(consumer: Started): number[] {
  for (let i = consumer.lines.length - 1; i >= 0; i--) {
    const line = consumer.lines[i]!
    if (line.startsWith('{')) return (JSON.parse(line) as { counts: number[] }).counts
  }
  return []
}

/** Waits until the consumer's counts stop moving, and returns their sum. */
async function settledTotal(consumer: Started): Promise<number> {
  let previous = -1
  for (;;) {
    await sleep(600)
    const total = lastCounts(consumer).reduce((a, b) => a + b, 0)
    if (total === previous) return total
    previous = total
  }
}

async function produce(input: string, rate: number, seconds: number): Promise<{ sent: number; seconds: number }> {
  const producer = start([process.execPath, join(HERE, 'producer.ts'), input, String(rate), String(seconds)])
  await new Promise((resolve) => producer.child.once('exit', resolve))
  return JSON.parse(producer.lines.find((l) => l.startsWith('{'))!) as { sent: number; seconds: number }
}

interface Latency {
  /** Microseconds from the producer's send to the consumer's receipt. */
  p50: number
  p99: number
  samples: number
}

interface Steady {
  cpuPerMillion: number
  peakRss: number
  loss: number
  latency: Latency
}

/** Asks the consumer for the latencies noted since it was last asked (SIGUSR1), and waits for them. */
async function latencySince(consumer: Started): Promise<Latency> {
  const seen = consumer.lines.length
  consumer.child.kill('SIGUSR1')
  const line = await waitFor(() => consumer.lines.slice(seen).find((l) => l.startsWith('{"latency"')), 'the consumer\'s latencies', 10_000)
  return (JSON.parse(line) as { latency: Latency }).latency
}

interface Result {
  kind: Kind
  endpoints: number
  steady: Steady
  maxRate: string
}

async function measure(kind: Kind, endpoints: number, dir: string): Promise<Result> {
  const { forwarder, input, outputs } = await startForwarder(kind, dir, endpoints)
  // A spool left by an earlier run starts replaying as soon as the consumer subscribes: its CPU counts from here.
  const cpuAtStart = cpuSeconds(forwarder.child.pid!)
  // For shipper-curve the consumer is a CURVE client with a certificate in the clients directory.
  const curveEnv = kind === 'shipper-curve' ? { BENCH_CURVE_SERVER_KEY: join(dir, 'shipper.key'), BENCH_CURVE_CERT: join(dir, 'clients', 'consumer.key_secret') } : {}
  const consumer = start([process.execPath, join(HERE, 'consumer.ts'), ...outputs], { ...process.env, ...curveEnv })
  try {
    await waitFor(() => consumer.lines.includes('ready'), 'the consumer', 30_000)
    await sleep(1000) // subscriptions travel to the forwarder
    const pid = forwarder.child.pid!

    // (a) a busy sensor's steady rate
    await latencySince(consumer) // nothing before this run counts
    const cpuBefore = prefill(kind) > 0 ? cpuAtStart : cpuSeconds(pid)
    const steadyRun = await produce(input, STEADY_RATE, STEADY_SECONDS)
    const delivered = await settledTotal(consumer)
    const replayed = prefill(kind)
    const steady: Steady = {
      cpuPerMillion: ((cpuSeconds(pid) - cpuBefore) / (steadyRun.sent + replayed)) * 1e6,
      peakRss: peakRssMiB(pid),
      loss: (steadyRun.sent + replayed) * endpoints - delivered,
      latency: await latencySince(consumer),
    }

    // (b) the highest rate delivered without loss
    let best = 'none'
    let base = delivered
    for (const rate of RATE_STEPS) {
      const run = await produce(input, rate, STEP_SECONDS)
      const total = await settledTotal(consumer)
      const lost = run.sent * endpoints - (total - base)
      base = total
      if (run.seconds > STEP_SECONDS * 1.15) {
        best = `>= ${best} (producer could not reach ${rate}/s)`
        break
      }
      if (lost > 0) break
      best = String(rate)
    }
    return { kind, endpoints, steady, maxRate: best }
  } finally {
    await stop(consumer)
    await stop(forwarder)
  }
}

function ratio(a: number, b: number): string {
  return b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`
}

const dir = mkdtempSync(join(tmpdir(), 'zzs-bench-'))
try {
  mkdirSync(join(dir, 'clients'))
  await keygen({ name: 'shipper', dir })
  await keygen({ name: 'consumer', dir: join(dir, 'clients') })
  console.log(`zeek-zmq-shipper bench: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node.js ${process.version}`)
  console.log(`producer, forwarder and consumer each run in their own process and share these cores.\n`)
  const results: Result[] = []
  for (const endpoints of ENDPOINT_COUNTS) {
    for (const kind of KINDS) {
      const result = await measure(kind, endpoints, dir)
      results.push(result)
      console.log(
        `${kind.padEnd(8)} ${endpoints} endpoint(s): ${result.steady.cpuPerMillion.toFixed(2)} CPU s per million records at ${STEADY_RATE}/s, ` +
          `peak RSS ${result.steady.peakRss.toFixed(1)} MiB, lost ${result.steady.loss}, latency p50 ${result.steady.latency.p50.toFixed(0)} µs p99 ${result.steady.latency.p99.toFixed(0)} µs; ` +
          `highest lossless rate ${result.maxRate}/s`,
      )
    }
  }
  console.log('\n| forwarder | endpoints | CPU s / million records @ 20k/s | vs libzmq proxy | vs simplest loop | peak RSS MiB | lost @ 20k/s | latency p50 / p99 µs @ 20k/s | highest rate without loss (records/s) |')
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const r of results) {
    const loop = results.find((x) => x.kind === 'loop' && x.endpoints === r.endpoints) ?? r
    const proxy = results.find((x) => x.kind === 'proxy' && x.endpoints === r.endpoints) ?? r
    console.log(
      `| ${r.kind} | ${r.endpoints} | ${r.steady.cpuPerMillion.toFixed(2)} | ${ratio(r.steady.cpuPerMillion, proxy.steady.cpuPerMillion)} | ${ratio(r.steady.cpuPerMillion, loop.steady.cpuPerMillion)} | ${r.steady.peakRss.toFixed(1)} | ${r.steady.loss} | ${r.steady.latency.p50.toFixed(0)} / ${r.steady.latency.p99.toFixed(0)} | ${r.maxRate} |`,
    )
  }
  for (const curve of results.filter((r) => r.kind === 'shipper-curve')) {
    const plain = results.find((r) => r.kind === 'shipper-tcp' && r.endpoints === curve.endpoints)
    if (plain !== undefined) {
      console.log(`\nCURVE, ${curve.endpoints} endpoint(s): ${ratio(curve.steady.cpuPerMillion, plain.steady.cpuPerMillion)} the CPU of plain tcp (+${(curve.steady.cpuPerMillion - plain.steady.cpuPerMillion).toFixed(2)} CPU s per million records)`)
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
