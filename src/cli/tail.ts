// `zeek-zmq-shipper tail ADDRESS`: subscribes to an endpoint (or anything that publishes
// the writer plugin's [path, JSON record] messages) and prints one record per line.
// It is the debugging tool and the demo subscriber in docker compose.

import { once } from 'node:events'
import { parseArgs } from 'node:util'
import { curveKeyPair, Subscriber } from 'zeromq'
import { clearIpcPaths } from '../config/ipc-socket-file.ts'
import { parseZmqAddress } from '../config/zmq-address.ts'
import { ShipperError } from '../errors.ts'
import { onClientHandshakeFailure } from '../security/client-handshake.ts'
import { CertificateProblem, readPublicCertificate, readSecretCertificate, type CurveCertificate } from '../security/certificate.ts'
import { checkPathPattern, compilePathFilter, splitList, type PathPredicate } from '../record/path-filter.ts'

const HELP = `usage: zeek-zmq-shipper tail ADDRESS [--bind] [--path LIST] [--format ndjson|pretty]
                             [--curve-server-key PATH [--curve-cert PATH]]

Subscribes to every Zeek log path published at ADDRESS and prints one record per line
on standard output. Diagnostics go to standard error. SIGINT or SIGTERM stops it (exit 0).

  ADDRESS              tcp://host:port or ipc:///path; with --bind, tcp://host:* picks a free port
  --bind               bind ADDRESS and let publishers connect (for a shipper endpoint in
                       connect mode); by default tail connects (to a bind-mode endpoint)
  --path LIST          comma list of log paths to print, "*" a wildcard: --path conn,dns*
                       (default: every path)
  --format ndjson      one JSON object per line, "_path" (the path frame) its first key;
                       a record that is not a JSON object comes as "_raw" (default)
  --format pretty      a line for people: time, path, then key=value pairs, with control
                       and bidirectional characters escaped
  --curve-server-key PATH
                       connect as a CURVE client to an endpoint with curve=server whose
                       public certificate is PATH (the shipper's NAME.key)
  --curve-cert PATH    tail's own secret certificate (NAME.key_secret, mode 0600), whose
                       public one is in the endpoint's clients directory; without it tail
                       uses a throwaway key pair, which only clients=* admits
  -h, --help           this text

examples:
  zeek-zmq-shipper tail tcp://127.0.0.1:5556 --path http,files
  zeek-zmq-shipper tail ipc:///run/zeek-zmq/out.sock --bind --format pretty
`

const FORMATS = ['ndjson', 'pretty'] as const
type Format = (typeof FORMATS)[number]

export interface TailOptions {
  readonly address: string
  readonly bind: boolean
  readonly accept: PathPredicate
  readonly format: Format
  /** CURVE: the endpoint's public key, and tail's own key pair. */
  readonly curve?: { readonly serverKey: string; readonly cert?: CurveCertificate }
}

function usageError(message: string): ShipperError {
  return new ShipperError('ERR_USAGE', `tail: ${message}\nTry "zeek-zmq-shipper tail --help".`)
}

/** Parses the command line; throws ERR_USAGE (exit 64) naming what is wrong. */
export function parseTailArgs(args: string[]): TailOptions | 'help' {
  let parsed
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        bind: { type: 'boolean', default: false },
        path: { type: 'string' },
        format: { type: 'string', default: 'ndjson' },
        'curve-server-key': { type: 'string' },
        'curve-cert': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    })
  } catch (err) {
    throw usageError((err as Error).message)
  }
  const { values, positionals } = parsed
  if (values.help) return 'help'

  if (positionals.length === 0) throw usageError('no ADDRESS given (such as tcp://127.0.0.1:5556)')
  if (positionals.length > 1) throw usageError(`one ADDRESS expected, got ${positionals.length}: ${positionals.join(' ')}`)
  const address = positionals[0]!
  const parsedAddress = parseZmqAddress(address, values.bind)
  if (typeof parsedAddress === 'string') throw usageError(parsedAddress)

  const format = values.format
  if (!(FORMATS as readonly string[]).includes(format)) throw usageError(`--format "${format}" is neither ndjson nor pretty`)

  const include = values.path === undefined ? [] : splitList(values.path)
  if (values.path !== undefined && include.length === 0) throw usageError('--path names no log path')
  const problems = include.map(checkPathPattern).filter((problem) => problem !== undefined)
  if (problems.length > 0) throw usageError(`--path: ${problems.join('; ')}`)

  const curve = curveOptions(values['curve-server-key'], values['curve-cert'], values.bind)
  return { address, bind: values.bind, accept: compilePathFilter({ include, exclude: [] }), format: format as Format, ...(curve === undefined ? {} : { curve }) }
}

function curveOptions(serverKeyPath: string | undefined, certPath: string | undefined, bind: boolean): TailOptions['curve'] {
  if (serverKeyPath === undefined) {
    if (certPath !== undefined) throw usageError('--curve-cert needs --curve-server-key, the public certificate of the endpoint')
    return undefined
  }
  if (bind) throw usageError('--curve-server-key is for connecting to an endpoint with curve=server; it does not go with --bind')
  try {
    return { serverKey: readPublicCertificate(serverKeyPath), ...(certPath === undefined ? {} : { cert: readSecretCertificate(certPath) }) }
  } catch (err) {
    if (err instanceof CertificateProblem) throw usageError(err.message)
    throw err
  }
}

function isJsonSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d
}

function hasLineBreak(record: Buffer): boolean {
  return record.includes(0x0a) || record.includes(0x0d)
}

/** The record as an object, or undefined when it is not one (invalid JSON, an array, a string...). */
function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/**
 * One NDJSON line, always a valid JSON object, whose first key "_path" is the path frame.
 * A Zeek record (a single-line JSON object) keeps its bytes: "_path" is spliced in after
 * its "{", once JSON.parse has vouched for the rest. A record that is not a JSON object
 * comes as its text in "_raw". A record's own "_path" cannot stand in for the path frame
 * (subscribers route on the frame): such a record is re-encoded, with its "_path" kept as
 * "_record_path" where it differs from the frame.
 */
export function ndjsonLine(path: string, record: Buffer): string {
  const pathMember = `"_path":${JSON.stringify(path)}`
  const text = record.toString('utf8')
  const value = parseObject(text)
  if (value === undefined) return `{${pathMember},"_raw":${JSON.stringify(text)}}\n`
  if (Object.hasOwn(value, '_path')) {
    const { _path: own, ...rest } = value
    return `${JSON.stringify({ _path: path, ...rest, ...(own === path ? {} : { _record_path: own }) })}\n`
  }
  if (hasLineBreak(record)) return `${JSON.stringify({ _path: path, ...value })}\n`
  let start = 0
  while (isJsonSpace(text.charCodeAt(start))) start++
  let end = text.length
  while (isJsonSpace(text.charCodeAt(end - 1))) end--
  const rest = text.slice(start + 1, end).trimStart()
  return rest === '}' ? `{${pathMember}}\n` : `{${pathMember},${rest}\n`
}

// What a terminal would act on or reorder rather than show: C0 controls (ESC, BEL, ...),
// DEL, C1 controls (CSI, OSC, ...), the bidirectional marks, embeddings, overrides and
// isolates, and the Unicode line and paragraph separators.
const HIDDEN = '\\u0000-\\u001f\\u007f-\\u009f\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069'
const HIDDEN_CHARACTER = new RegExp(`[${HIDDEN}]`, 'g')
// Printed as it is: no white space, quote, "=", backslash or hidden character.
const BARE = new RegExp(`^[^\\s"=\\\\${HIDDEN}]+$`)

/** Shows every hidden character as its JSON escape, \u001b, so that the terminal prints it. */
function visible(text: string): string {
  return text.replace(HIDDEN_CHARACTER, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** A key, value or path from a peer, as text that is safe on a terminal and unambiguous. */
function prettyText(text: string): string {
  return BARE.test(text) ? text : visible(JSON.stringify(text))
}

function prettyValue(value: unknown): string {
  if (typeof value === 'string') return prettyText(value)
  if (Array.isArray(value)) return value.map(prettyValue).join(',')
  return visible(JSON.stringify(value))
}

/** Epoch seconds as ISO 8601; a number no date can hold (1e300) as the number. */
function isoTime(seconds: number): string {
  const date = new Date(seconds * 1000)
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString()
}

/**
 * A line for people: the record's time (the plugin writes epoch seconds), the path, then
 * key=value pairs. Everything in it came from a peer, so nothing reaches the terminal unescaped.
 */
export function prettyLine(path: string, record: Buffer): string {
  const where = prettyText(path).padEnd(8)
  const text = record.toString('utf8')
  const value = parseObject(text)
  if (value === undefined) return `${'-'.padEnd(24)} ${where} ${prettyText(text)}\n`
  const { ts, ...fields } = value
  const when = typeof ts === 'number' ? isoTime(ts) : typeof ts === 'string' ? prettyText(ts) : '-'
  const pairs = Object.entries(fields).map(([key, field]) => `${prettyText(key)}=${prettyValue(field)}`)
  return `${when.padEnd(24)} ${where} ${pairs.join(' ')}\n`
}

/** Writes, waiting for the stream to drain so that a slow reader slows us, not our memory. */
async function writeLine(line: string): Promise<void> {
  if (!process.stdout.write(line)) await once(process.stdout, 'drain')
}

/**
 * A CURVE server that refuses tail, or does not hold the secret key of --curve-server-key,
 * just closes the connection: say so once, or tail would wait in silence.
 */
function watchCurveHandshake(socket: Subscriber): void {
  let said = false
  onClientHandshakeFailure(socket, () => {
    if (said) return
    said = true
    process.stderr.write('zeek-zmq-shipper tail: the CURVE handshake failed: is --curve-server-key the endpoint\'s public certificate, and --curve-cert among its clients? (retrying)\n')
  })
}

export async function tail(options: TailOptions): Promise<void> {
  const socket = new Subscriber({ linger: 0 })
  if (options.curve !== undefined) {
    const own = options.curve.cert === undefined ? curveKeyPair() : { publicKey: options.curve.cert.publicKey, secretKey: options.curve.cert.secretKey() }
    socket.curveServerKey = options.curve.serverKey
    socket.curvePublicKey = own.publicKey
    socket.curveSecretKey = own.secretKey
    watchCurveHandshake(socket)
  }
  socket.subscribe()
  const stop = (): void => {
    if (!socket.closed) socket.close()
  }
  const onSignal = (): void => stop()
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  // A reader that goes away (`tail ... | head`) ends tail quietly.
  const onStdoutError = (err: NodeJS.ErrnoException): void => {
    if (err.code !== 'EPIPE') process.stderr.write(`zeek-zmq-shipper tail: standard output: ${err.message}\n`)
    stop()
  }
  process.stdout.on('error', onStdoutError)

  try {
    if (options.bind) {
      // As the shipper does: never take an ipc path from a live process or delete a file.
      for (const address of await clearIpcPaths([{ who: 'tail', address: options.address }])) {
        process.stderr.write(`zeek-zmq-shipper tail: replaced a stale socket file at ${address}\n`)
      }
      await socket.bind(options.address)
      process.stderr.write(`zeek-zmq-shipper tail: bound ${socket.lastEndpoint ?? options.address}, waiting for publishers\n`)
    } else {
      socket.connect(options.address)
      process.stderr.write(`zeek-zmq-shipper tail: subscribing at ${options.address}\n`)
    }
    const format = options.format === 'ndjson' ? ndjsonLine : prettyLine
    while (!socket.closed) {
      let frames: Buffer[]
      try {
        frames = await socket.receive()
      } catch (err) {
        if (socket.closed) break
        throw err
      }
      const [pathFrame, record] = frames
      if (frames.length !== 2 || pathFrame === undefined || record === undefined) {
        process.stderr.write(`zeek-zmq-shipper tail: skipped a message of ${frames.length} frames (expected [path, record])\n`)
        continue
      }
      const path = pathFrame.toString('utf8')
      if (!options.accept(path)) continue
      await writeLine(format(path, record))
    }
  } catch (err) {
    throw new ShipperError('ERR_BIND', `tail: ${options.address}: ${(err as Error).message}`, { cause: err })
  } finally {
    stop()
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
    process.stdout.removeListener('error', onStdoutError)
  }
}

export async function main(args: string[]): Promise<number> {
  const options = parseTailArgs(args)
  if (options === 'help') {
    process.stdout.write(HELP)
    return 0
  }
  await tail(options)
  return 0
}
