// Fuzzes a live shipper process through its tcp input: random and mutated messages from a
// ZeroMQ publisher, frames over the size limit and truncated or malformed ZMTP from raw
// tcp peers. Afterwards the shipper must be up and ready, below its memory bound, have
// counted exactly what the model of its input rules expects, and close its accounting.
//
// As a script: FUZZ_MESSAGES=1000000 FUZZ_SEED=123 node test/fuzz/input-fuzz.ts

import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Subscriber, XPublisher } from 'zeromq'
import { MAX_PATH_BYTES } from '../../src/record/zeek-message.ts'
import { CLI, ROOT } from '../cli/cli-process.ts'
import { samples, sampleValue, sumOf as sum } from '../helpers/shipper.ts'
import { waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'
import { frame, frameHeader, greeting, message, rawConnect, readyCommand, rssBytes } from '../helpers/zmtp-raw.ts'
import { Dice, fuzzMessage, InputModel, type InputLimits } from './messages.ts'

const MiB = 1024 * 1024
const LIMITS: InputLimits = { maxRecordBytes: MiB, maxPaths: 256, maxPathBytes: MAX_PATH_BYTES }
/** Queue capacity of the endpoint nobody reads: it fills and drops. */
const HELD_HWM = 64
/** One raw ZMTP session per this many messages. */
const MESSAGES_PER_RAW_SESSION = 500
/**
 * The stated bound, over the RSS at start: the held queue full of the largest records,
 * as much again in flight (a record being read, routed and sent), and 64 MiB for
 * ZeroMQ's buffers and the garbage collector's slack.
 */
const RSS_GROWTH_BOUND = 2 * HELD_HWM * (LIMITS.maxRecordBytes + MAX_PATH_BYTES) + 64 * MiB

export interface FuzzOptions {
  readonly messages: number
  readonly seed: number
  readonly log: (line: string) => void
}

export interface FuzzReport {
  readonly seed: number
  readonly generated: number
  /** Generated with no frame at all: ZMTP has no such message, and nothing goes on the wire. */
  readonly empty: number
  /** Messages the shipper's input read (accepted or rejected). */
  readonly read: number
  readonly accepted: number
  readonly rejected: Record<string, number>
  /** Raw tcp connections made (ZMTP sessions and frames over the limit), each cut or closed. */
  readonly rawConnections: number
  readonly disconnects: Record<string, number>
  readonly seconds: number
  readonly rssStartBytes: number
  readonly rssPeakBytes: number
  readonly rssEndBytes: number
  readonly rssBoundBytes: number
  /** For each endpoint: input, sent, filtered, dropped, queued, read from /metrics. */
  readonly accounting: Record<string, { input: number; sent: number; filtered: number; dropped: number; queued: number }>
  readonly problems: string[]
}

interface RunningShipper {
  readonly child: ChildProcess
  readonly url: string
  readonly input: string
  readonly stderr: () => string
}

async function startShipper(dir: string): Promise<RunningShipper> {
  const env = {
    PATH: process.env.PATH ?? '',
    ZEEK_ZMQ_INPUTS: 'tcp://127.0.0.1:*',
    ZEEK_ZMQ_HTTP_HOST: '127.0.0.1',
    ZEEK_ZMQ_HTTP_PORT: '0',
    ZEEK_ZMQ_LOG_LEVEL: 'info',
    ZEEK_ZMQ_MAX_RECORD_BYTES: String(LIMITS.maxRecordBytes),
    ZEEK_ZMQ_MAX_PATHS: String(LIMITS.maxPaths),
    ZEEK_ZMQ_LINGER_MS: '0',
    ZEEK_ZMQ_ENDPOINTS: [
      `ipc://${join(dir, 'all.sock')}?name=all&mode=bind`,
      `ipc://${join(dir, 'some.sock')}?name=some&mode=bind&include=conn,dns*,p1*`,
      `ipc://${join(dir, 'held.sock')}?name=held&mode=bind&hwm=${HELD_HWM}`,
    ].join(' '),
  }
  const child = spawn(process.execPath, [CLI, 'run'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
  const line = (msg: string): Record<string, unknown> | undefined =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{') && l.endsWith('}'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === msg)
  const ready = await waitFor(() => child.exitCode !== null || line('shipper ready'), 'the shipper to start', 30_000)
  if (ready === true) throw new Error(`the shipper exited at start:\n${out}\n${err}`)
  const inputs = line('input bound')!.inputs as string[]
  return { child, url: (ready as { url: string }).url, input: inputs[0]!, stderr: () => err }
}

/** A reader of an endpoint that counts what arrives. */
function reader(address: string): { socket: Subscriber; received: () => number } {
  const socket = new Subscriber({ linger: 0 })
  socket.subscribe()
  socket.connect(address)
  let received = 0
  void (async () => {
    try {
      for await (const _ of socket) received++
    } catch {
      // closed at the end
    }
  })()
  return { socket, received: () => received }
}

/**
 * Writes `bytes` on a fresh raw connection, waits for `delivered` (libzmq drops what a
 * publisher sent if it leaves before the input socket has taken its connection on), then
 * gives the shipper a moment to cut the connection before closing it.
 */
async function rawSession(input: string, session: ZmtpSession, delivered: () => Promise<unknown> = async () => true): Promise<void> {
  const peer = await rawConnect(input)
  if (session.handshake && !(await peer.handshake())) throw new Error('the shipper refused a ZeroMQ handshake')
  await peer.write(session.bytes)
  await delivered()
  let timer: NodeJS.Timeout | undefined
  await Promise.race([peer.closed, new Promise((resolve) => (timer = setTimeout(resolve, 20)))])
  clearTimeout(timer)
  peer.socket.destroy()
  await peer.closed
}

/** The path of the complete messages in raw sessions: known from the start, so they never change which paths are new. */
const RAW_PATH = 'raw'

interface ZmtpSession {
  /** Whether to complete the ZeroMQ handshake before sending the bytes. */
  readonly handshake: boolean
  readonly bytes: Buffer
  /** The complete messages in the bytes, for the model. */
  readonly complete: Buffer[][]
}

/** One malformed or truncated ZMTP session. */
function zmtpSession(dice: Dice, i: number): ZmtpSession {
  const record: [Buffer, Buffer] = [Buffer.from(RAW_PATH), zeekMessage(i)[1]]
  const greet = greeting()
  const raw = (bytes: Buffer, handshake = false, complete: Buffer[][] = []): ZmtpSession => ({ handshake, bytes, complete })
  switch (dice.int(0, 10)) {
    case 0: // connect, then nothing
      return raw(Buffer.alloc(0))
    case 1: // part of a greeting
      return raw(greet.subarray(0, dice.int(1, 63)))
    case 2: { // not ZMTP at all: read as ZMTP 1.0, whose first frame (its length in the first byte) never ends
      const noise = dice.bytes(64)
      noise[0] = dice.int(65, 254)
      return raw(noise)
    }
    case 3: // a mechanism the shipper does not speak
      greet.write(dice.pick(['PLAIN', 'CURVE', 'GSSAPI', 'XXXX']).padEnd(20, '\0'), 12, 'latin1')
      return raw(Buffer.concat([greet, readyCommand('PUB')]))
    case 4: // a READY cut short
      return raw(Buffer.concat([greet, readyCommand('PUB').subarray(0, dice.int(0, 20))]))
    case 5: // a socket type that may not talk to a SUB
      return raw(Buffer.concat([greet, readyCommand(dice.pick(['REQ', 'SUB', 'PULL', 'ROUTER']))]))
    case 6: // a good message, then a frame cut short
      return raw(Buffer.concat([message(record), frameHeader(dice.int(200, 4000), { more: dice.chance(0.5) }), dice.bytes(dice.int(0, 100))]), true, [record])
    case 7: // a multi-part message that never ends
      return raw(Buffer.concat([frame(record[0], true), frame(record[1], true), frameHeader(0, { more: true })]), true)
    case 8: // reserved flag bits, in a message that never ends
      return raw(Buffer.concat([Buffer.from([0xf1, 4]), Buffer.from('conn')]), true)
    case 9: // a command the shipper does not know
      return raw(Buffer.concat([frameHeader(6, { command: true }), Buffer.from([5]), Buffer.from('XPING')]), true)
    default: // a frame header far over the limit
      return raw(Buffer.concat([frameHeader(BigInt(dice.int(2, 1 << 30)) * 1024n * 1024n, { more: true }), dice.bytes(1024)]), true)
  }
}

function byLabel(text: string, name: string, label: string): Record<string, number> {
  const found: Record<string, number> = {}
  for (const sample of samples(text, name)) {
    const value = new RegExp(`${label}="([^"]*)"`).exec(sample.labels)?.[1]
    if (value !== undefined && sample.value !== 0) found[value] = sample.value
  }
  return found
}

export async function fuzzInput(options: FuzzOptions): Promise<FuzzReport> {
  const { messages, seed, log } = options
  const started = Date.now()
  const dir = mkdtempSync(join(tmpdir(), 'zzs-fuzz-'))
  const dice = new Dice(seed)
  const model = new InputModel(LIMITS)
  const problems: string[] = []
  const sockets: Array<{ close(): void }> = []
  let shipper: RunningShipper | undefined
  try {
    shipper = await startShipper(dir)
    const { url, input } = shipper
    const pid = shipper.child.pid!
    const metrics = async (): Promise<string> => (await fetch(`${url}/metrics`)).text()
    const all = reader(`ipc://${join(dir, 'all.sock')}`)
    const some = reader(`ipc://${join(dir, 'some.sock')}`)
    sockets.push(all.socket, some.socket)
    await waitFor(async () => {
      const text = await metrics()
      return sampleValue(text, 'zeek_zmq_endpoint_peers', { endpoint: 'all' }) === 1 && sampleValue(text, 'zeek_zmq_endpoint_peers', { endpoint: 'some' }) === 1
    }, 'the readers')

    const pub = new XPublisher({ linger: 0, sendHighWaterMark: 0, receiveTimeout: 10_000 })
    sockets.push(pub)
    pub.connect(input)
    await pub.receive() // the input's subscription: nothing sent from now on is lost to the slow joiner

    const first = [Buffer.from(RAW_PATH), zeekMessage(0)[1]]
    model.verdict(first)
    await pub.send(first)
    const rawRecords = async (): Promise<number> => sampleValue(await metrics(), 'zeek_zmq_input_records_total', { path: RAW_PATH })
    await waitFor(async () => (await rawRecords()) === 1, 'the first record')
    const rssStart = rssBytes(pid) ?? 0
    let rssPeak = rssStart
    let rawConnections = 0
    let nothing = 0

    for (let i = 1; i < messages; i++) {
      const frames = fuzzMessage(dice, i, LIMITS)
      const verdict = model.verdict(frames)
      if (verdict.kind === 'nothing') {
        nothing++
      } else if (verdict.kind === 'cut') {
        // Over ZeroMQ's limit: on a connection of its own, which the shipper cuts.
        rawConnections++
        await rawSession(input, { handshake: true, bytes: message(frames), complete: [] })
      } else {
        await pub.send(frames)
      }
      if (i % MESSAGES_PER_RAW_SESSION === 0) {
        const session = zmtpSession(dice, i)
        for (const complete of session.complete) model.verdict(complete)
        rawConnections++
        const expected = model.accepted.get(RAW_PATH)!
        await rawSession(input, session, () => waitFor(async () => (await rawRecords()) === expected, `${expected} records of path ${RAW_PATH}`))
        rssPeak = Math.max(rssPeak, rssBytes(pid) ?? 0)
      }
      if (i % 20_000 === 0) log(`${i} messages, ${((Date.now() - started) / 1000).toFixed(1)} s, RSS ${((rssBytes(pid) ?? 0) / MiB).toFixed(1)} MiB`)
    }

    const expectedRead = model.acceptedTotal + [...model.rejected.values()].reduce((a, b) => a + b, 0)
    let text = ''
    const settled = async (what: string, check: () => boolean): Promise<void> => {
      try {
        await waitFor(async () => {
          text = await metrics()
          rssPeak = Math.max(rssPeak, rssBytes(pid) ?? 0)
          return check()
        }, what, 60_000)
      } catch (err) {
        problems.push((err as Error).message)
      }
    }
    await settled(`the input to read ${expectedRead} messages and see ${rawConnections} connections end`, () => {
      const read = sum(text, 'zeek_zmq_input_records_total') + sum(text, 'zeek_zmq_input_rejected_total')
      return read >= expectedRead && sum(text, 'zeek_zmq_input_disconnects_total') >= rawConnections
    })
    // What was sent to the readers has arrived: nothing more is on its way.
    await settled('the readers to receive what was sent', () =>
      sum(text, 'zeek_zmq_endpoint_sent_records_total', (l) => l.includes('endpoint="all"')) === all.received() &&
      sum(text, 'zeek_zmq_endpoint_sent_records_total', (l) => l.includes('endpoint="some"')) === some.received(),
    )
    const rssEnd = rssBytes(pid) ?? 0
    rssPeak = Math.max(rssPeak, rssEnd)

    const accepted = sum(text, 'zeek_zmq_input_records_total')
    const rejected = byLabel(text, 'zeek_zmq_input_rejected_total', 'reason')
    const disconnects = byLabel(text, 'zeek_zmq_input_disconnects_total', 'reason')
    if (accepted !== model.acceptedTotal) problems.push(`accepted ${accepted}, the model says ${model.acceptedTotal}`)
    for (const [path, n] of model.accepted) {
      const got = sampleValue(text, 'zeek_zmq_input_records_total', { path })
      if (got !== n) problems.push(`path ${path}: accepted ${got}, the model says ${n}`)
    }
    const expectedRejected = Object.fromEntries([...model.rejected].filter(([, n]) => n !== 0))
    if (JSON.stringify(Object.entries(rejected).sort()) !== JSON.stringify(Object.entries(expectedRejected).sort())) {
      problems.push(`rejected ${JSON.stringify(rejected)}, the model says ${JSON.stringify(expectedRejected)}`)
    }
    const ended = Object.values(disconnects).reduce((a, b) => a + b, 0)
    if (ended !== rawConnections) problems.push(`${ended} connections ended, ${rawConnections} were made`)

    const accounting: FuzzReport['accounting'] = {}
    for (const endpoint of ['all', 'some', 'held']) {
      const mine = (labels: string): boolean => labels.includes(`endpoint="${endpoint}"`)
      const row = {
        input: accepted,
        sent: sum(text, 'zeek_zmq_endpoint_sent_records_total', mine),
        filtered: sum(text, 'zeek_zmq_endpoint_filtered_records_total', mine),
        dropped: sum(text, 'zeek_zmq_endpoint_dropped_records_total', mine),
        queued: sum(text, 'zeek_zmq_endpoint_queue_records', mine),
      }
      accounting[endpoint] = row
      if (row.sent + row.filtered + row.dropped + row.queued !== row.input) problems.push(`${endpoint}: ${JSON.stringify(row)} does not close`)
    }

    if (shipper.child.exitCode !== null) problems.push(`the shipper exited (${shipper.child.exitCode})`)
    if ((await fetch(`${url}/livez`)).status !== 200) problems.push('/livez is not 200')
    if ((await fetch(`${url}/readyz`)).status !== 200) problems.push('/readyz is not 200')
    if (rssPeak - rssStart > RSS_GROWTH_BOUND) problems.push(`RSS grew by ${((rssPeak - rssStart) / MiB).toFixed(1)} MiB, over the bound of ${RSS_GROWTH_BOUND / MiB} MiB`)
    if (shipper.stderr() !== '') problems.push(`stderr: ${shipper.stderr()}`)

    return {
      seed,
      generated: messages,
      empty: nothing,
      read: accepted + Object.values(rejected).reduce((a, b) => a + b, 0),
      accepted,
      rejected,
      rawConnections,
      disconnects,
      seconds: (Date.now() - started) / 1000,
      rssStartBytes: rssStart,
      rssPeakBytes: rssPeak,
      rssEndBytes: rssEnd,
      rssBoundBytes: rssStart + RSS_GROWTH_BOUND,
      accounting,
      problems,
    }
  } finally {
    for (const socket of sockets) socket.close()
    if (shipper !== undefined && shipper.child.exitCode === null) {
      shipper.child.kill('SIGKILL')
      await once(shipper.child, 'exit')
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

/** FUZZ_SEED, or a fresh one: printed either way, so that a failure can be replayed. */
export function fuzzSeed(): number {
  const given = process.env.FUZZ_SEED
  return given !== undefined && given !== '' ? Number(given) >>> 0 : (Math.random() * 0x1_0000_0000) >>> 0
}

if (import.meta.main) {
  const seed = fuzzSeed()
  const messages = Number(process.env.FUZZ_MESSAGES ?? 1_000_000)
  console.log(`fuzzing the input with ${messages} messages, FUZZ_SEED=${seed}`)
  const report = await fuzzInput({ messages, seed, log: (line) => console.log(line) })
  console.log(JSON.stringify(report, null, 2))
  process.exitCode = report.problems.length === 0 ? 0 : 1
}
