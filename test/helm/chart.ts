// The Helm chart as the tests see it: its values files, Helm's way of merging them, and
// the mirror of the chart's one mapping from values to the shipper's configuration keys.

import { accessSync, constants, readdirSync, readFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const CHART_DIR = join(ROOT, 'helm', 'zeek-zmq-shipper')

export type Values = Record<string, unknown>

/** The endpoint objects of values.yaml; all but `alerting` (the chart's) go to the shipper. */
export interface EndpointValues {
  name: string
  address: string
  mode?: 'connect' | 'bind'
  hwm?: number
  hwmBytes?: number
  linger?: number
  include?: string[]
  exclude?: string[]
  alerting?: boolean
  curve?: 'server' | 'client'
  clients?: '*'
  serverKeySecret?: string
  allow?: string[]
  spoolMaxBytes?: string | number
}

/** The values the chart renders into the shipper's configuration. */
export interface ShipperValues {
  mode: 'sensor' | 'relay'
  endpoints: EndpointValues[]
  hwm: number
  linger: number
  sendLogs: string[]
  excludedLogs: string[]
  peerTimeoutMs: number
  maxRecordBytes: number
  httpHost: string
  queueBytes: number
  memoryLimitBytes: number
  maxTopicBytes: number
  maxSubscriptions: number
  maxPaths: number
  pathIdleS: number
  httpPort: number
  logLevel: string
  dataPlane: string
  relay: { inputPort: number; inputHost: string; curve: boolean; allow: string[] }
  shipper: { spool: { enabled: boolean; maxBytes: string | number; sync: string } }
  curve: { certSecret: string; clientsSecret: string }
}

export function readYaml(path: string): Values {
  const parsed: unknown = parse(readFileSync(path, 'utf8'))
  return (parsed ?? {}) as Values
}

export const defaultValues = (): Values => readYaml(join(CHART_DIR, 'values.yaml'))

/** The scenario files under ci/, by file name. */
export function ciFiles(): string[] {
  return readdirSync(join(CHART_DIR, 'ci'))
    .filter((name) => name.endsWith('.yaml'))
    .sort()
}

export const ciValues = (name: string): Values => readYaml(join(CHART_DIR, 'ci', name))

function isMap(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Helm's coalescing of user values over defaults: maps merge, anything else replaces, null deletes. */
export function mergeValues(defaults: Values, overrides: Values): Values {
  const merged: Values = { ...defaults }
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) delete merged[key]
    else if (isMap(value) && isMap(merged[key])) merged[key] = mergeValues(merged[key], value)
    else merged[key] = value
  }
  return merged
}

/** Every scenario a test should cover: values.yaml alone, and each ci/ file over it. */
export function scenarios(): { name: string; values: Values }[] {
  const defaults = defaultValues()
  return [{ name: 'values.yaml', values: defaults }, ...ciFiles().map((name) => ({ name: `ci/${name}`, values: mergeValues(defaults, ciValues(name)) }))]
}

/** The socket directory that Zeek and the shipper share in sensor mode. */
export const SOCKET_DIR = '/run/zeek-zmq'

/** Where the chart mounts the CURVE Secrets in the shipper container. */
export const CURVE_DIR = '/etc/zeek-zmq-shipper/curve'

/** The shipper's settings as the chart hands them over: a config file, and the addresses in its environment. */
export interface ShipperSettings {
  file: Record<string, unknown>
  env: { ZEEK_ZMQ_INPUTS: string; ZEEK_ZMQ_HTTP_HOST: string }
}

/** The endpoint keys the shipper takes as the values spell them, and the one it spells otherwise. */
const ENDPOINT_KEYS = ['mode', 'hwm', 'linger', 'include', 'exclude', 'curve', 'allow'] as const

/** Where the chart mounts the spools (shipper.spool): ZEEK_ZMQ_SPOOL_DIR. */
export const SPOOL_DIR = '/var/spool/zeek-zmq-shipper'

/** The endpoints in the shipper's object form, as "zeek-zmq-shipper.endpointObjects" renders them. */
function endpointObjects(v: ShipperValues): Record<string, unknown>[] {
  return v.endpoints.map((endpoint) => {
    const object: Record<string, unknown> = { name: endpoint.name, address: endpoint.address }
    for (const key of ENDPOINT_KEYS) if (endpoint[key] !== undefined) object[key] = endpoint[key]
    if (endpoint.hwmBytes !== undefined) object.hwm_bytes = endpoint.hwmBytes
    if (endpoint.curve === 'server') object.clients = endpoint.clients ?? `${CURVE_DIR}/clients`
    if (endpoint.serverKeySecret !== undefined) object.server_key = `${CURVE_DIR}/servers/${endpoint.serverKeySecret}/server.key`
    if (v.shipper.spool.enabled) {
      object.spool_max = String(endpoint.spoolMaxBytes ?? v.shipper.spool.maxBytes)
      object.spool_sync = v.shipper.spool.sync
    }
    return object
  })
}

/** Go's url.QueryEscape, which Helm's urlquery is. */
function queryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
}

/**
 * What templates/_helpers.tpl renders for the shipper ("zeek-zmq-shipper.config" into
 * config.json, endpoints included; inputs and HTTP host into its environment), written again in
 * TypeScript so that tests can feed it to the shipper's own loader where no helm binary
 * exists. Where one does, the Helm tests check that both agree.
 */
export function shipperSettings(values: Values): ShipperSettings {
  const v = values as unknown as ShipperValues
  const defaultHost = v.mode === 'sensor' ? '$(NODE_IP)' : '0.0.0.0'
  const inputParams = [
    ...(v.relay.curve ? [`curve=server&clients=${queryEscape(`${CURVE_DIR}/clients`)}`] : []),
    ...(v.relay.allow.length > 0 ? [`allow=${queryEscape(v.relay.allow.join(','))}`] : []),
  ]
  const relayInput = `tcp://${v.relay.inputHost}:${v.relay.inputPort}${inputParams.length > 0 ? `?${inputParams.join('&')}` : ''}`
  return {
    file: {
      hwm: v.hwm,
      lingerMs: v.linger,
      sendLogs: v.sendLogs,
      excludedLogs: v.excludedLogs,
      peerTimeoutMs: v.peerTimeoutMs,
      maxRecordBytes: v.maxRecordBytes,
      queueBytes: v.queueBytes,
      memoryLimitBytes: v.memoryLimitBytes,
      maxTopicBytes: v.maxTopicBytes,
      maxSubscriptions: v.maxSubscriptions,
      maxPaths: v.maxPaths,
      pathIdleS: v.pathIdleS,
      httpPort: v.httpPort,
      logLevel: v.logLevel,
      dataPlane: v.dataPlane,
      curveCert: v.curve.certSecret === '' ? '' : `${CURVE_DIR}/cert/curve.key_secret`,
      // Without shipper.spool the chart leaves the shipper's spool defaults (no spool).
      spoolDir: v.shipper.spool.enabled ? SPOOL_DIR : '',
      spoolMax: '1GiB',
      spoolSync: 'interval',
      endpoints: endpointObjects(v),
    },
    env: {
      ZEEK_ZMQ_INPUTS: v.mode === 'relay' ? relayInput : `ipc://${SOCKET_DIR}/zeek.sock`,
      ZEEK_ZMQ_HTTP_HOST: v.httpHost === '' ? defaultHost : v.httpHost,
    },
  }
}

/** Addresses that stand in for the downward API's in tests: the node's and the pod's IP. */
export const DOWNWARD = { NODE_IP: '127.0.0.1', POD_IP: '127.0.0.1' } as const

/** Kubernetes' expansion of $(VAR) in a container's variables, from the variables before it. */
export function expandVariables(text: string, variables: Record<string, string> = DOWNWARD): string {
  return text.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => variables[name] ?? whole)
}

/** An executable: from the environment variable `envName` if set, else found on PATH. */
export function findExecutable(name: string, envName?: string): string | undefined {
  const candidates = [envName === undefined ? undefined : process.env[envName], ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name))]
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === '' || candidate === name) continue
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not there; try the next
    }
  }
  return undefined
}
