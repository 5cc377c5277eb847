// `zeek-zmq-shipper tail ADDRESS`: subscribes to an endpoint (or anything that publishes
// the writer plugin's [path, JSON record] messages) and prints one record per line.
// It is the debugging tool and the demo subscriber in docker compose.

import { once } from 'node:events'
import { parseArgs } from 'node:util'
import { Subscriber } from 'zeromq'
import { parseZmqAddress } from '../config/zmq-address.ts'
import { ShipperError } from '../errors.ts'
import { checkPathPattern, compilePathFilter, splitList, type PathPredicate } from '../router/path-filter.ts'

const HELP = `usage: zeek-zmq-shipper tail ADDRESS [--bind] [--path LIST] [--format ndjson|pretty]

Subscribes to every Zeek log path published at ADDRESS and prints one record per line
on standard output. Diagnostics go to standard error. SIGINT or SIGTERM stops it (exit 0).

  ADDRESS              tcp://host:port or ipc:///path; with --bind, tcp://host:* picks a free port
  --bind               bind ADDRESS and let publishers connect (for a shipper endpoint in
                       connect mode); by default tail connects (to a bind-mode endpoint)
  --path LIST          comma list of log paths to print, "*" a wildcard: --path conn,dns*
                       (default: every path)
  --format ndjson      one JSON object per line, "_path" added as the first key (default)
  --format pretty      a line for people: time, path, then key=value pairs
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

  return { address, bind: values.bind, accept: compilePathFilter({ include, exclude: [] }), format: format as Format }
}

const OPEN_BRACE = 0x7b
const PATH_KEY = Buffer.from('"_path":')

function isJsonSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d
}

function hasLineBreak(record: Buffer): boolean {
  return record.includes(0x0a) || record.includes(0x0d)
}

/**
 * One NDJSON line with "_path" as the first key. Zeek's records are single-line JSON
 * objects, so the record's bytes are spliced after its "{" without parsing; anything else
 * (multi-line JSON, a non-object, invalid JSON) takes the slow path and still yields one line.
 */
export function ndjsonLine(path: string, record: Buffer): string {
  const pathMember = `"_path":${JSON.stringify(path)}`
  let start = 0
  while (start < record.length && isJsonSpace(record[start]!)) start++
  if (record[start] === OPEN_BRACE && !hasLineBreak(record)) {
    let end = record.length
    while (end > start && isJsonSpace(record[end - 1]!)) end--
    let next = start + 1
    while (next < end && isJsonSpace(record[next]!)) next++
    // A publisher that already names the path keeps its own "_path".
    if (record.subarray(next, next + PATH_KEY.length).equals(PATH_KEY)) return `${record.toString('utf8', start, end)}\n`
    const rest = record.toString('utf8', next, end)
    return rest === '}' ? `{${pathMember}}\n` : `{${pathMember},${rest}\n`
  }
  const text = record.toString('utf8')
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return `${JSON.stringify({ _path: path, ...(value as Record<string, unknown>) })}\n`
    }
    return `${JSON.stringify({ _path: path, _record: value })}\n`
  } catch {
    return `${JSON.stringify({ _path: path, _raw: text })}\n`
  }
}

function prettyValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)
  if (Array.isArray(value)) return value.map(prettyValue).join(',')
  return JSON.stringify(value)
}

/** A line for people: the record's time (the plugin writes epoch seconds), the path, then key=value pairs. */
export function prettyLine(path: string, record: Buffer): string {
  const text = record.toString('utf8')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return `${'-'.padEnd(24)} ${path.padEnd(8)} ${JSON.stringify(text)}\n`
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `${'-'.padEnd(24)} ${path.padEnd(8)} ${JSON.stringify(value)}\n`
  }
  const { ts, ...fields } = value as Record<string, unknown>
  const when = typeof ts === 'number' ? new Date(ts * 1000).toISOString() : typeof ts === 'string' ? ts : '-'
  const pairs = Object.entries(fields).map(([key, field]) => `${key}=${prettyValue(field)}`)
  return `${when.padEnd(24)} ${path.padEnd(8)} ${pairs.join(' ')}\n`
}

/** Writes, waiting for the stream to drain so that a slow reader slows us, not our memory. */
async function writeLine(line: string): Promise<void> {
  if (!process.stdout.write(line)) await once(process.stdout, 'drain')
}

export async function tail(options: TailOptions): Promise<void> {
  const socket = new Subscriber({ linger: 0 })
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
