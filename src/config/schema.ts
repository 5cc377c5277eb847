// The single source of truth for every setting: its environment variable, default,
// format and documentation. Validation, the README's configuration table and the Helm
// chart's rendering of the config file all derive from this schema.

import convict from 'convict'
import { checkPathPattern, splitList } from '../record/path-filter.ts'
import { SPOOL_SYNC_POLICIES } from '../record/spool-sync-policy.ts'
import { inputAddressOf, splitInputs } from './input-spec.ts'
import { checkSpoolDir, parseByteSize } from './spool-spec.ts'
import { parseZmqAddress } from './zmq-address.ts'

/** The largest count or duration ZeroMQ's options and Node.js timers take (int32). */
export const MAX_INT32 = 2147483647

/** Each path costs a few series on every scrape and 8 bytes per endpoint: past this, the input is garbage. */
const MAX_PATHS_LIMIT = 65536
const MAX_PATH_IDLE_S = 30 * 24 * 3600

function listOf(check: (entry: string) => string | undefined) {
  return (value: unknown): void => {
    if (!Array.isArray(value)) throw new Error('must be a list')
    const problems = value.map((entry) => (typeof entry === 'string' ? check(entry) : `${JSON.stringify(entry)} is not a string`))
    const found = problems.filter((p) => p !== undefined)
    if (found.length > 0) throw new Error(found.join('; '))
  }
}

function checkInteger(value: unknown, min: number, max = MAX_INT32, what = `${min > 0 ? 'a positive' : 'a non-negative'} integer up to ${max}`): void {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) throw new Error(`must be ${what}`)
}

// Environment values are text: digits become a number, anything else stays as it is for
// validate() to name ("80abc" must not become 80).
function integerOrText(text: string): number | string {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : text
}

// Spec strings have their addresses checked here; objects (from a config file) and the
// query parameters are checked by parseInputs, see load-config.ts.
function checkInputAddresses(value: unknown): void {
  if (!Array.isArray(value)) throw new Error('must be a list')
  const problems = value.map((entry) => {
    if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) return undefined
    if (typeof entry !== 'string') return `${JSON.stringify(entry)} is not a string or an object`
    const parsed = parseZmqAddress(inputAddressOf(entry), true)
    return typeof parsed === 'string' ? parsed : undefined
  })
  const found = problems.filter((p) => p !== undefined)
  if (found.length > 0) throw new Error(found.join('; '))
}

convict.addFormats({
  'zmq-inputs': {
    validate: (value: unknown) => {
      if (Array.isArray(value) && value.length === 0) throw new Error('no inputs: give at least one address for Zeek to publish to, such as ipc:///run/zeek-zmq/zeek.sock')
      checkInputAddresses(value)
    },
    coerce: splitInputs,
  },
  // Endpoint specs are checked as a whole by parseEndpoints, which needs the global
  // defaults too; see load-config.ts.
  'endpoint-specs': {
    validate: (value: unknown) => {
      if (typeof value !== 'string' && !Array.isArray(value)) throw new Error('must be a string of endpoint specs or a list')
    },
  },
  'path-patterns': {
    validate: listOf(checkPathPattern),
    coerce: (text: string) => splitList(text),
  },
  'positive-int': {
    validate: (value: unknown) => checkInteger(value, 1),
    coerce: integerOrText,
  },
  'non-negative-int': {
    validate: (value: unknown) => checkInteger(value, 0),
    coerce: integerOrText,
  },
  'peer-timeout-ms': {
    validate: (value: unknown) => {
      if (value !== 0) checkInteger(value, 1000, 3_600_000, '0 (off) or a number of milliseconds from 1000 to 3600000')
    },
    coerce: integerOrText,
  },
  'max-paths': {
    validate: (value: unknown) => checkInteger(value, 1, MAX_PATHS_LIMIT),
    coerce: integerOrText,
  },
  'path-idle-s': {
    validate: (value: unknown) => checkInteger(value, 1, MAX_PATH_IDLE_S, `a number of seconds from 1 to ${MAX_PATH_IDLE_S} (30 days)`),
    coerce: integerOrText,
  },
  'spool-dir': {
    validate: (value: unknown) => {
      const problem = typeof value === 'string' ? checkSpoolDir(value) : 'must be a path'
      if (problem !== undefined) throw new Error(`must be an absolute path: ${problem}`)
    },
  },
  // Sizes stay text until validate() reads them, so that "1.5GiB" is named, not mangled.
  'byte-size': {
    validate: (value: unknown) => {
      const parsed = typeof value === 'number' ? parseByteSize(String(value)) : typeof value === 'string' ? parseByteSize(value) : 'not a size'
      if (typeof parsed === 'string') throw new Error(`must be a size of at least 1MiB: ${parsed}`)
    },
  },
  'tcp-port': {
    validate: (value: unknown) => checkInteger(value, 0, 65535, 'a port number, 0-65535 (0 picks a free port)'),
    coerce: integerOrText,
  },
})

export const schema = {
  inputs: {
    doc: 'Where Zeek publishes: the input SUB socket binds on each of these addresses (white space, ";", or "," before the next address, between them). An ipc socket\'s directory is created if missing; see "Addresses" for what an address may be and what may be at an ipc path. A tcp input takes the query parameters curve=server&clients=DIR and allow=CIDR,... (see "Security").',
    format: 'zmq-inputs',
    default: ['ipc:///run/zeek-zmq/zeek.sock'],
    env: 'ZEEK_ZMQ_INPUTS',
  },
  endpoints: {
    doc: 'Where records go: one or more endpoint specs (white space or ";" between them), each a ZeroMQ address with optional query parameters name, mode (connect|bind), hwm, hwm_bytes, linger, include, exclude, curve, clients, server_key and allow (see "Security"), and spool, spool_max and spool_sync (see "Spool"). See "Endpoints".',
    format: 'endpoint-specs',
    default: '',
    env: 'ZEEK_ZMQ_ENDPOINTS',
  },
  curveCert: {
    doc: 'The shipper\'s own CURVE key pair: the path of a secret certificate (NAME.key_secret, as `zeek-zmq-shipper keygen`, pyzmq\'s zmq.auth.create_certificates or CZMQ write it), readable by its owner only. Needed when an endpoint or input uses curve=server or curve=client. See "Security".',
    format: String,
    default: '',
    env: 'ZEEK_ZMQ_CURVE_CERT',
  },
  hwm: {
    doc: "Default queue capacity of an endpoint, in records (the endpoint's hwm). When it is full, new records for that endpoint are dropped and counted.",
    format: 'positive-int',
    default: 1000,
    env: 'ZEEK_ZMQ_HWM',
  },
  queueBytes: {
    doc: "Default byte capacity of an endpoint's queue (the endpoint's hwm_bytes): the frames of the records it holds. A record that would take the queue past it is dropped and counted (reason queue_full), like one past hwm. It also caps the records ZeroMQ itself holds for the endpoint: see \"Limits\".",
    format: 'positive-int',
    default: 67108864,
    env: 'ZEEK_ZMQ_QUEUE_BYTES',
  },
  memoryLimitBytes: {
    doc: 'Bytes all endpoint queues together may hold. Past it, new records are dropped and counted (reason memory_limit) on whichever endpoint they were meant for. A record queued for several endpoints counts once per queue.',
    format: 'positive-int',
    default: 268435456,
    env: 'ZEEK_ZMQ_MEMORY_LIMIT_BYTES',
  },
  lingerMs: {
    doc: 'Default time, in milliseconds, an endpoint may take on shutdown to send what it still holds.',
    format: 'non-negative-int',
    default: 3000,
    env: 'ZEEK_ZMQ_LINGER_MS',
  },
  sendLogs: {
    doc: 'Default include filter: comma list of log paths an endpoint receives ("*" is a wildcard; empty means every path). Like the plugin\'s send_logs.',
    format: 'path-patterns',
    default: [] as string[],
    env: 'ZEEK_ZMQ_SEND_LOGS',
  },
  excludedLogs: {
    doc: "Default exclude filter: comma list of log paths an endpoint never receives; exclude wins over include. Like the plugin's excluded_log_ids.",
    format: 'path-patterns',
    default: [] as string[],
    env: 'ZEEK_ZMQ_EXCLUDED_LOGS',
  },
  peerTimeoutMs: {
    doc: "tcp endpoints: a subscriber that takes no data for this many milliseconds (TCP user timeout, and keepalive probes while idle) is disconnected and its subscription dropped, so that a vanished host does not hold up its endpoint until the kernel gives up (about 15 minutes). The kernel cannot tell a vanished host from a subscriber that stopped reading: either is cut off, and records already handed to it are lost with the connection (counted as sent). 0 (the default) leaves it to the kernel.",
    format: 'peer-timeout-ms',
    default: 0,
    env: 'ZEEK_ZMQ_PEER_TIMEOUT_MS',
  },
  spoolDir: {
    doc: 'Default parent directory of the endpoints\' disk spools: each endpoint spools to a directory of its own under it, named after the endpoint (bytes other than letters, digits, "_", "-" and inner dots written as %XX), unless its spool parameter says otherwise (spool= with no value: none). Empty: endpoints spool only where their spec says spool=DIR. See "Spool".',
    format: 'spool-dir',
    default: '',
    env: 'ZEEK_ZMQ_SPOOL_DIR',
  },
  spoolMax: {
    doc: 'Default size limit of an endpoint\'s spool (its spool_max): bytes, optionally followed by KiB, MiB or GiB; at least 1MiB. When an append would take the spool past it, the oldest segment is deleted and its unsent records are counted as dropped (reason spool_full).',
    format: 'byte-size',
    default: '1GiB',
    env: 'ZEEK_ZMQ_SPOOL_MAX',
  },
  spoolSync: {
    doc: 'Default fsync policy of an endpoint\'s spool (its spool_sync): none (the kernel writes back when it likes), interval (every second) or always (as soon as anything changed, one fsync at a time). Decides what a power loss may take; a killed shipper loses nothing that reached the spool. See "Spool".',
    format: [...SPOOL_SYNC_POLICIES],
    default: 'interval',
    env: 'ZEEK_ZMQ_SPOOL_SYNC',
  },
  maxTopicBytes: {
    doc: "Longest subscription topic an endpoint accepts, in bytes. ZeroMQ cuts off a peer whose subscription message is larger as it arrives (the frame limit is this plus the 10 bytes of ZMTP 3.1's SUBSCRIBE command); a shorter over-long topic (from a ZMTP 3.0 peer) is refused and counted (reason topic_too_large).",
    format: 'positive-int',
    default: 256,
    env: 'ZEEK_ZMQ_MAX_TOPIC_BYTES',
  },
  maxSubscriptions: {
    doc: "Most distinct topics an endpoint's subscribers may hold together. A subscription past it is refused and counted (reason too_many_subscriptions), and the endpoint drops all its connections, since ZeroMQ can neither refuse a topic nor cut off the one peer that sent it; subscribers reconnect and subscribe again on their own. The same happens (reason subscription_flood) when an endpoint's peers send more messages that change no subscription, such as repeats, within a minute than 16 times this limit plus this limit per connected peer.",
    format: 'positive-int',
    default: 1024,
    env: 'ZEEK_ZMQ_MAX_SUBSCRIPTIONS',
  },
  maxRecordBytes: {
    doc: 'Largest record frame accepted, in bytes; larger messages are rejected and counted (reason record_too_large).',
    format: 'positive-int',
    default: 1048576,
    env: 'ZEEK_ZMQ_MAX_RECORD_BYTES',
  },
  maxPaths: {
    doc: 'Most distinct log paths known at once. A message with a new path past this is rejected and counted (reason too_many_paths). Each path adds a series per endpoint to /metrics.',
    format: 'max-paths',
    default: 1024,
    env: 'ZEEK_ZMQ_MAX_PATHS',
  },
  pathIdleS: {
    doc: 'A log path not seen for this many seconds is forgotten (within 1.5 times as long): its series leave /metrics and its place goes to new paths, so that paths a publisher made up cannot keep new real ones out. A path with records still queued is kept until they leave the queue.',
    format: 'path-idle-s',
    default: 3600,
    env: 'ZEEK_ZMQ_PATH_IDLE_S',
  },
  httpHost: {
    doc: 'Address the HTTP server (/livez, /readyz, /metrics) listens on.',
    format: String,
    default: '0.0.0.0',
    env: 'ZEEK_ZMQ_HTTP_HOST',
  },
  httpPort: {
    doc: 'Port of the HTTP server (0 picks a free port).',
    format: 'tcp-port',
    default: 8080,
    env: 'ZEEK_ZMQ_HTTP_PORT',
  },
  dataPlane: {
    doc: 'Which data plane carries the records: native (a C++ thread over libzmq, built by npm ci where g++ and libzmq3-dev are installed; about a third of the CPU per record), js (the JavaScript plane, the reference), or auto: native where it is built and can serve the configuration (no CURVE, allow-lists or disk spools yet), else js with one warning line saying why. native where it cannot run is a configuration error.',
    format: ['auto', 'native', 'js'],
    default: 'auto',
    env: 'ZEEK_ZMQ_DATA_PLANE',
  },
  logLevel: {
    doc: 'Log level of the JSON logs on standard output.',
    format: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    env: 'ZEEK_ZMQ_LOG_LEVEL',
  },
  configFile: {
    doc: 'Optional JSON file with any of these settings under their schema keys (endpoints may be objects there); environment variables override it.',
    format: String,
    default: '',
    env: 'ZEEK_ZMQ_CONFIG',
  },
}

export type SchemaKey = keyof typeof schema

/** The environment variable of each setting, for error messages and documentation. */
export function envOf(key: string): string | undefined {
  return (schema as Record<string, { env?: string }>)[key]?.env
}
