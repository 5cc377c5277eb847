// Endpoint specs: where records go, and under which filters, queue size and linger.
//
//   tcp://collector:5556?name=siem&hwm=25000&hwm_bytes=268435456&linger=5000&include=http,files&exclude=conn&mode=connect
//
// The environment gives them as strings; a JSON config file may also give them as objects
// with the same keys plus `address`.

import { checkPathPattern, splitList } from '../record/path-filter.ts'
import { ACCESS_KEYS, parseAccess, type SocketAccess } from '../security/socket-access.ts'
import { MAX_INT32 } from './schema.ts'
import { describeSpec, readSpec } from './spec-fields.ts'
import { parseSpool, SPOOL_KEYS, spoolClashes, type EndpointSpool, type SpoolDefaults } from './spool-spec.ts'
import { parseZmqAddress, type Transport } from './zmq-address.ts'

export type EndpointMode = 'connect' | 'bind'

export interface EndpointConfig {
  readonly name: string
  readonly address: string
  readonly transport: Transport
  /** connect: the subscriber binds (the writer plugin's way); bind: subscribers connect to us. */
  readonly mode: EndpointMode
  readonly hwm: number
  /** Byte capacity of the queue (hwm_bytes). */
  readonly hwmBytes: number
  readonly lingerMs: number
  readonly include: readonly string[]
  readonly exclude: readonly string[]
  /** tcp: how long a subscriber's host may leave data unacknowledged (ZEEK_ZMQ_PEER_TIMEOUT_MS); 0: the kernel's default. */
  readonly peerTimeoutMs: number
  /** Largest record frame the input accepts (ZEEK_ZMQ_MAX_RECORD_BYTES): sizes ZeroMQ's share of the endpoint. */
  readonly maxRecordBytes: number
  readonly maxTopicBytes: number
  readonly maxSubscriptions: number
  /** CURVE and address allow-list (curve, clients, server_key, allow); absent: open to any peer. */
  readonly access?: SocketAccess
  /** Disk spool (spool, spool_max, spool_sync, or ZEEK_ZMQ_SPOOL_DIR); absent: none. */
  readonly spool?: EndpointSpool
}

/** What an endpoint falls back on where its spec is silent. */
export interface EndpointDefaults extends SpoolDefaults {
  readonly hwm: number
  readonly hwmBytes: number
  readonly lingerMs: number
  readonly include: readonly string[]
  readonly exclude: readonly string[]
  readonly peerTimeoutMs: number
  readonly maxRecordBytes: number
  readonly maxTopicBytes: number
  readonly maxSubscriptions: number
}

export interface ParsedEndpoints {
  readonly endpoints: EndpointConfig[]
  readonly problems: string[]
}

const KEYS = ['name', 'hwm', 'hwm_bytes', 'linger', 'include', 'exclude', 'mode', ...ACCESS_KEYS, ...SPOOL_KEYS] as const
type Key = (typeof KEYS)[number]

/** Splits the ZEEK_ZMQ_ENDPOINTS text: specs separated by white space or ";". */
export function splitSpecs(text: string): string[] {
  return text.split(/[\s;]+/).filter((spec) => spec !== '')
}

function wholeNumber(text: string, what: string, min: number, problems: string[]): number | undefined {
  const value = Number(text)
  if (!/^\d+$/.test(text.trim()) || value < min || value > MAX_INT32) {
    problems.push(`${what} "${text}" is not ${min > 0 ? 'a positive' : 'a non-negative'} integer up to ${MAX_INT32}`)
    return undefined
  }
  return value
}

function patterns(text: string | undefined, fallback: readonly string[], what: string, problems: string[]): readonly string[] {
  if (text === undefined) return fallback
  const list = splitList(text)
  for (const pattern of list) {
    const problem = checkPathPattern(pattern)
    if (problem !== undefined) problems.push(`${what}: ${problem}`)
  }
  return list
}

function parseOne(spec: unknown, defaults: EndpointDefaults, problems: string[]): EndpointConfig | undefined {
  const raw = readSpec<Key>(spec, KEYS, problems)
  if (raw === undefined) return undefined
  const { address, fields } = raw

  const mode = fields.mode ?? 'connect'
  if (mode !== 'connect' && mode !== 'bind') problems.push(`mode "${mode}" is neither "connect" nor "bind"`)
  const parsed = address === '' ? undefined : parseZmqAddress(address, mode === 'bind')
  if (typeof parsed === 'string') problems.push(parsed)

  const hwm = fields.hwm === undefined ? defaults.hwm : wholeNumber(fields.hwm, 'hwm', 1, problems)
  const hwmBytes = fields.hwm_bytes === undefined ? defaults.hwmBytes : wholeNumber(fields.hwm_bytes, 'hwm_bytes', 1, problems)
  const lingerMs = fields.linger === undefined ? defaults.lingerMs : wholeNumber(fields.linger, 'linger', 0, problems)
  const include = patterns(fields.include, defaults.include, 'include', problems)
  const exclude = patterns(fields.exclude, defaults.exclude, 'exclude', problems)
  const name = fields.name ?? address
  if (name.trim() === '') problems.push('name is empty')
  const secured = ACCESS_KEYS.some((key) => fields[key] !== undefined)
  const access = secured ? parseAccess(fields, { binds: mode === 'bind', transport: typeof parsed === 'object' ? parsed.transport : 'tcp' }, problems) : undefined
  const spool = parseSpool(fields, name, defaults, problems)

  if (problems.length > 0 || parsed === undefined || typeof parsed === 'string') return undefined
  if (hwm === undefined || hwmBytes === undefined || lingerMs === undefined) return undefined
  const { peerTimeoutMs, maxRecordBytes, maxTopicBytes, maxSubscriptions } = defaults
  const endpoint = { name, address, transport: parsed.transport, mode: mode as EndpointMode, hwm, hwmBytes, lingerMs, include, exclude, peerTimeoutMs, maxRecordBytes, maxTopicBytes, maxSubscriptions }
  return { ...endpoint, ...(access === undefined ? {} : { access }), ...(spool === undefined ? {} : { spool }) }
}

/**
 * Parses every endpoint spec and reports every problem at once, each naming its spec,
 * so that one run of the shipper shows an operator everything to fix.
 */
export function parseEndpoints(specs: unknown, defaults: EndpointDefaults): ParsedEndpoints {
  const list: unknown[] = typeof specs === 'string' ? splitSpecs(specs) : Array.isArray(specs) ? specs : [specs]
  const endpoints: EndpointConfig[] = []
  const problems: string[] = []
  if (list.length === 0) problems.push('no endpoints: give at least one, such as tcp://127.0.0.1:5556 or ipc:///run/zeek-zmq/out.sock?mode=bind')

  list.forEach((spec, index) => {
    const own: string[] = []
    const endpoint = parseOne(spec, defaults, own)
    for (const problem of own) problems.push(`endpoint ${index + 1} (${describeSpec(spec)}): ${problem}`)
    if (endpoint !== undefined) endpoints.push(endpoint)
  })

  const seenNames = new Set<string>()
  for (const endpoint of endpoints) {
    if (seenNames.has(endpoint.name)) problems.push(`endpoint name "${endpoint.name}" is used twice; names label metrics and must be unique`)
    seenNames.add(endpoint.name)
  }
  problems.push(...spoolClashes(endpoints))
  return { endpoints, problems }
}
