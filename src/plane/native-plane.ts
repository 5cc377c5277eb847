// The native data plane: the C++ addon in src/native/ runs the whole hot path (input,
// path table, filters, queues, XPUB sends, counters) in a thread of its own over the
// system's libzmq. This module loads it, says why it cannot be used where it cannot, and
// presents it as a DataPlane: the same snapshot, readiness and shutdown as the JavaScript plane.

import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { EndpointConfig } from '../config/endpoint-spec.ts'
import type { ShipperConfig } from '../config/load-config.ts'
import { makeIpcDirectory } from '../config/zmq-address.ts'
import { ShipperError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { DISCONNECT_REASONS, DROP_REASONS, REJECT_REASONS, SUBSCRIPTION_REJECT_REASONS, type Counts } from '../record/reasons.ts'
import type { DataPlane, DataPlaneSnapshot, EndpointSnapshot, EndpointSummary, Readiness, ReconfigureReport } from './data-plane.ts'
import { endpointChanges } from './endpoint-changes.ts'

/** The addon as built by `npm ci` (src/native/build); a test may name another build (the sanitizer build). */
const ADDON_OVERRIDE = 'ZZS_NATIVE_ADDON'
const ADDON_PATHS = ['../native/build/Release/zeek_zmq_native.node', '../../src/native/build/Release/zeek_zmq_native.node']

/** What the addon takes of an endpoint's settings (not its access: see nativeRefusal). */
type NativeEndpointConfig = Omit<EndpointConfig, 'access' | 'maxRecordBytes'>

interface NativeConfig {
  readonly inputs: readonly string[]
  readonly maxRecordBytes: number
  readonly maxPaths: number
  readonly pathIdleS: number
  readonly memoryLimitBytes: number
  readonly endpoints: readonly NativeEndpointConfig[]
}

/** An endpoint as the addon reports it: counts by reason as arrays, in the order of src/record/reasons.ts. */
type RawEndpoint = Omit<EndpointSnapshot, 'dropped' | 'subscriptionsRejected' | 'spool'> & { readonly dropped: number[]; readonly subscriptionsRejected: number[] }

interface RawSnapshot {
  readonly input: { readonly addresses: string[]; readonly bytes: number; readonly rejected: number[]; readonly disconnects: number[] }
  readonly paths: Array<{ readonly name: string; readonly records: number; readonly admitted: boolean[] }>
  readonly endpoints: RawEndpoint[]
  readonly internalErrors: number
}

/** An endpoint a reconfigure closed, for its summary line. */
interface RawRetired {
  readonly name: string
  readonly sent: number
  readonly filtered: number
  readonly dropped: number[]
}

interface RawReconfigure {
  readonly retired: RawRetired[]
  readonly opened: string[]
  readonly failed: Array<{ readonly endpoint: string; readonly error: string }>
}

interface NativeHandle {
  /** Opens the endpoints, binds the input, starts the thread; returns the input's bound addresses. */
  start(): string[]
  /**
   * The new endpoint set: keep[i] is the index of the running endpoint that stays as the
   * i-th, or -1 for a new one made from endpoints[i]. Resolves once the running endpoints
   * not kept have drained and closed and the new ones have opened.
   */
  reconfigure(endpoints: readonly NativeEndpointConfig[], keep: readonly number[]): Promise<RawReconfigure>
  /** Resolves once the thread has ended (drain: after each endpoint's linger) and libzmq has let go. */
  stop(drain: boolean): Promise<void>
  snapshot(): RawSnapshot | null
}

interface NativeAddon {
  readonly NativePlane: new (config: NativeConfig, onEvent: (level: string, message: string, fields: string) => void) => NativeHandle
  readonly reasons: Record<'reject' | 'disconnect' | 'drop' | 'subscriptionReject', string[]>
  readonly libzmqVersion: string
}

export interface NativePlaneFactory {
  /** The libzmq the addon runs on, for the start-up log line. */
  readonly libzmqVersion: string
  create(config: ShipperConfig, logger: Logger): DataPlane
}

export type NativePlaneLoad = NativePlaneFactory | { readonly unavailable: string }

/**
 * Why the native plane cannot serve this configuration, or undefined when it can. The
 * JavaScript plane's ZAP handler (CURVE, allow-lists) lives in zeromq.js's context and
 * cannot answer for the addon's sockets; the disk spool is the JavaScript plane's alone.
 */
export function nativeRefusal(config: ShipperConfig): string | undefined {
  const secured = [
    ...config.endpoints.filter((endpoint) => endpoint.access !== undefined).map((endpoint) => `endpoint "${endpoint.name}"`),
    ...config.inputs.filter((_, i) => Object.keys(config.inputAccess[i] ?? {}).length > 0).map((address) => `input ${address}`),
  ]
  const spooled = config.endpoints.filter((endpoint) => endpoint.spool !== undefined).map((endpoint) => `endpoint "${endpoint.name}"`)
  const missing = [
    ...(secured.length === 0 ? [] : [`CURVE or allow-lists (${secured.join(', ')})`]),
    ...(spooled.length === 0 ? [] : [`disk spools (${spooled.join(', ')})`]),
  ]
  if (missing.length === 0) return undefined
  return `the native data plane does not do ${missing.join(' or ')} yet; the JavaScript plane does`
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i])
}

function loadAddon(): NativeAddon | string {
  const override = process.env[ADDON_OVERRIDE]
  const candidates = override !== undefined && override !== '' ? [override] : ADDON_PATHS.map((path) => fileURLToPath(new URL(path, import.meta.url)))
  const file = candidates.find((path) => existsSync(path))
  if (file === undefined) return 'the native addon is not built (npm ci builds it where g++, make and libzmq3-dev are installed)'
  let addon: NativeAddon
  try {
    addon = createRequire(import.meta.url)(file) as NativeAddon
  } catch (err) {
    return `the native addon does not load: ${(err as Error).message}`
  }
  const { reasons } = addon
  if (
    !sameList(reasons.reject, REJECT_REASONS) ||
    !sameList(reasons.disconnect, DISCONNECT_REASONS) ||
    !sameList(reasons.drop, DROP_REASONS) ||
    !sameList(reasons.subscriptionReject, SUBSCRIPTION_REJECT_REASONS)
  ) {
    return 'the native addon counts under other reasons than src/record/reasons.ts: it is out of date (npm ci rebuilds it)'
  }
  return addon
}

/**
 * Loads the addon: a factory for native planes, or why there is none. With a
 * configuration, also says whether the native plane can serve that configuration.
 */
export function loadNativePlane(config?: ShipperConfig): NativePlaneLoad {
  const addon = loadAddon()
  if (typeof addon === 'string') return { unavailable: addon }
  const refusal = config === undefined ? undefined : nativeRefusal(config)
  if (refusal !== undefined) return { unavailable: refusal }
  return {
    libzmqVersion: addon.libzmqVersion,
    create: (shipperConfig, logger) => {
      const refused = nativeRefusal(shipperConfig)
      if (refused !== undefined) throw new ShipperError('ERR_CONFIG', refused)
      return new NativeDataPlane(addon, shipperConfig, logger)
    },
  }
}

function counts<Reason extends string>(reasons: readonly Reason[], values: readonly number[] | undefined): Counts<Reason> {
  return Object.fromEntries(reasons.map((reason, i) => [reason, values?.[i] ?? 0])) as Counts<Reason>
}

function nativeConfig(config: ShipperConfig): NativeConfig {
  return {
    inputs: config.inputs,
    maxRecordBytes: config.maxRecordBytes,
    maxPaths: config.maxPaths,
    pathIdleS: config.pathIdleS,
    memoryLimitBytes: config.memoryLimitBytes,
    endpoints: config.endpoints.map(nativeEndpoint),
  }
}

function nativeEndpoint({ access: _access, maxRecordBytes: _max, ...endpoint }: EndpointConfig): NativeEndpointConfig {
  return endpoint
}

/** The shutdown summary line of an endpoint, from its counters. */
function summaryOf(name: string, sent: number, filtered: number, dropped: Readonly<Counts<(typeof DROP_REASONS)[number]>>): EndpointSummary {
  return { endpoint: name, sent, dropped: DROP_REASONS.reduce((sum, reason) => sum + dropped[reason], 0), left: dropped.shutdown, filtered }
}

/** The native plane refuses a configuration with a disk spool (nativeRefusal): its endpoints have none. */
const NO_SPOOL = { records: 0, bytes: 0, capacityBytes: 0, recovered: 0, truncated: 0 } as const

function endpointSnapshot(e: RawEndpoint): EndpointSnapshot {
  return {
    ...e,
    dropped: counts(DROP_REASONS, e.dropped),
    // As the JavaScript plane: never fewer than one while a subscription is held.
    peers: Math.max(e.peers, e.topics > 0 ? 1 : 0),
    subscriptionsRejected: counts(SUBSCRIPTION_REJECT_REASONS, e.subscriptionsRejected),
    spool: NO_SPOOL,
  }
}

/** An endpoint before the plane has started: its settings, every count zero. */
function unopened(config: EndpointConfig): RawEndpoint {
  const zero = { sent: 0, sentBytes: 0, filtered: 0, queueRecords: 0, queueBytes: 0, peers: 0, topics: 0, topicComparisons: 0, resets: 0, fullPauses: 0 }
  return { ...zero, name: config.name, address: config.address, open: false, sentByPath: [], dropped: [], subscriptionsRejected: [], queueCapacity: config.hwm, queueCapacityBytes: config.hwmBytes }
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const
type Level = (typeof LEVELS)[number]

class NativeDataPlane implements DataPlane {
  readonly kind = 'native'
  readonly #config: ShipperConfig
  readonly #logger: Logger
  readonly #handle: NativeHandle
  /** The running endpoints' settings, in order: the configuration's, then each reconfigure's. */
  #endpoints: readonly EndpointConfig[]
  /** The reconfigure under way: the next one waits for it. */
  #reconfiguring: Promise<unknown> = Promise.resolve()
  #started = false
  #stopping = false
  #stopped: Promise<void> | undefined

  constructor(addon: NativeAddon, config: ShipperConfig, logger: Logger) {
    this.#config = config
    this.#logger = logger
    this.#endpoints = config.endpoints
    this.#handle = new addon.NativePlane(nativeConfig(config), (level, message, fields) => this.#log(level, message, fields))
  }

  async start(): Promise<void> {
    const ipc = [...this.#config.inputs, ...this.#config.endpoints.filter((e) => e.mode === 'bind').map((e) => e.address)]
    for (const address of ipc) await makeIpcDirectory(address)
    let inputs: string[]
    try {
      inputs = this.#handle.start()
    } catch (cause) {
      throw new ShipperError('ERR_BIND', (cause as Error).message, { cause })
    }
    this.#started = true
    for (const endpoint of this.snapshot().endpoints) {
      const config = this.#config.endpoints.find((e) => e.name === endpoint.name)!
      this.#logger.info({ endpoint: endpoint.name, address: endpoint.address, mode: config.mode, hwm: config.hwm }, 'endpoint open')
    }
    this.#logger.info({ inputs }, 'input bound')
  }

  async stop(): Promise<EndpointSummary[]> {
    await this.#end(true)
    return this.snapshot().endpoints.map((e) => summaryOf(e.name, e.sent, e.filtered, e.dropped))
  }

  /**
   * Hands the new endpoint set to the plane's thread, which swaps it in between two
   * records (see src/native/reconfiguration.cc): endpoints with the same settings under the
   * same name are kept as they are; the others drain for their linger and close, and their
   * replacements open (a changed endpoint's once its old one has closed).
   */
  async reconfigure(endpoints: readonly EndpointConfig[]): Promise<ReconfigureReport> {
    const next = this.#reconfiguring.then(() => this.#reconfigure(endpoints))
    this.#reconfiguring = next.catch(() => undefined)
    return next
  }

  async #reconfigure(endpoints: readonly EndpointConfig[]): Promise<ReconfigureReport> {
    const { keep, ...report } = endpointChanges(this.#endpoints, endpoints)
    const { unchanged } = report
    const opening = endpoints.filter((_, i) => keep[i]! < 0)
    if (opening.length === 0 && report.removed.length === 0 && keep.every((index, i) => index === i)) return { ...report, summaries: [], failed: [] }
    // What the native plane cannot serve is refused as a whole: the running endpoints carry on.
    const refused = nativeRefusal({ ...this.#config, endpoints: [...endpoints] })
    const notRunning = !this.#started || this.#stopping ? 'the native data plane is not running' : undefined
    const error = refused ?? notRunning
    if (error !== undefined) {
      this.#logger.error({ endpoints: opening.map((endpoint) => endpoint.name) }, error)
      return { added: [], removed: [], changed: [], unchanged, summaries: [], failed: [...opening.map((endpoint) => endpoint.name), ...report.removed].map((endpoint) => ({ endpoint, error })) }
    }
    for (const endpoint of opening) if (endpoint.mode === 'bind') await makeIpcDirectory(endpoint.address)
    const pending = this.#handle.reconfigure(endpoints.map(nativeEndpoint), keep)
    // Records routed from here on go to the new set: snapshot() follows it.
    this.#endpoints = endpoints
    const result = await pending
    const summaries = result.retired.map((e) => summaryOf(e.name, e.sent, e.filtered, counts(DROP_REASONS, e.dropped)))
    for (const summary of summaries) this.#logger.info(summary, 'endpoint summary')
    const addresses = new Map(this.snapshot().endpoints.map((e) => [e.name, e.address]))
    for (const name of result.opened) {
      const config = endpoints.find((endpoint) => endpoint.name === name)!
      this.#logger.info({ endpoint: name, address: addresses.get(name), mode: config.mode, hwm: config.hwm }, 'endpoint open')
    }
    for (const { endpoint, error: reason } of result.failed) this.#logger.error({ endpoint, err: reason }, 'could not open the endpoint; /readyz names it until a reload fixes it')
    return { ...report, summaries, failed: result.failed }
  }

  async abort(): Promise<void> {
    await this.#end(false)
  }

  readiness(): Readiness {
    const waitingFor: string[] = []
    if (this.#stopping) waitingFor.push('shutting down')
    if (!this.#started || this.#stopping) waitingFor.push(`input ${this.#config.inputs.join(', ')}`)
    for (const endpoint of this.snapshot().endpoints) if (!endpoint.open) waitingFor.push(`endpoint ${endpoint.name}`)
    return { ready: waitingFor.length === 0, waitingFor }
  }

  snapshot(): DataPlaneSnapshot {
    const raw = this.#handle.snapshot()
    return {
      input: {
        addresses: raw?.input.addresses ?? [],
        bytes: raw?.input.bytes ?? 0,
        rejected: counts(REJECT_REASONS, raw?.input.rejected),
        disconnects: counts(DISCONNECT_REASONS, raw?.input.disconnects),
      },
      paths: raw?.paths ?? [],
      // The addon's own list: after a reconfigure, the set its thread runs with.
      endpoints: raw === null ? this.#endpoints.map(unopened).map(endpointSnapshot) : raw.endpoints.map(endpointSnapshot),
      auth: [],
      internalErrors: raw?.internalErrors ?? 0,
    }
  }

  /** One stop for both ways of ending: the first decides, a later call waits for it. */
  async #end(drain: boolean): Promise<void> {
    this.#stopping = true
    this.#stopped ??= this.#handle.stop(drain)
    await this.#stopped
  }

  #log(level: string, message: string, fields: string): void {
    const known: Level = (LEVELS as readonly string[]).includes(level) ? (level as Level) : 'warn'
    let parsed: Record<string, unknown>
    try {
      parsed = JSON.parse(fields) as Record<string, unknown>
    } catch {
      parsed = { fields }
    }
    this.#logger[known]({ plane: 'native', ...parsed }, message)
  }
}
