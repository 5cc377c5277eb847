// The native data plane: the C++ addon in src/native/ runs the whole hot path (input,
// path table, filters, queues, XPUB sends, counters) in a thread of its own over the
// system's libzmq. This module loads it, says why it cannot be used where it cannot, and
// presents it as a DataPlane: the same snapshot, readiness and shutdown as the JavaScript plane.

import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { isDeepStrictEqual } from 'node:util'
import { fileURLToPath } from 'node:url'
import type { EndpointConfig } from '../config/endpoint-spec.ts'
import type { ShipperConfig } from '../config/load-config.ts'
import { makeIpcDirectory } from '../config/zmq-address.ts'
import { ShipperError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { DISCONNECT_REASONS, DROP_REASONS, REJECT_REASONS, SUBSCRIPTION_REJECT_REASONS, type Counts } from '../record/reasons.ts'
import type { DataPlane, DataPlaneSnapshot, EndpointSnapshot, EndpointSummary, Readiness, ReconfigureReport } from './data-plane.ts'

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

interface NativeHandle {
  /** Opens the endpoints, binds the input, starts the thread; returns the input's bound addresses. */
  start(): string[]
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
    endpoints: config.endpoints.map(({ access: _access, maxRecordBytes: _max, ...endpoint }) => endpoint),
  }
}

/** The native plane refuses a configuration with a disk spool (nativeRefusal): its endpoints have none. */
const NO_SPOOL = { records: 0, bytes: 0, capacityBytes: 0, recovered: 0, truncated: 0 } as const

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const
type Level = (typeof LEVELS)[number]

class NativeDataPlane implements DataPlane {
  readonly kind = 'native'
  readonly #config: ShipperConfig
  readonly #logger: Logger
  readonly #handle: NativeHandle
  #started = false
  #stopping = false
  #stopped: Promise<void> | undefined

  constructor(addon: NativeAddon, config: ShipperConfig, logger: Logger) {
    this.#config = config
    this.#logger = logger
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
    return this.snapshot().endpoints.map((e) => ({
      endpoint: e.name,
      sent: e.sent,
      dropped: e.dropped.queue_full + e.dropped.memory_limit + e.dropped.shutdown,
      left: e.dropped.shutdown,
      filtered: e.filtered,
    }))
  }

  /**
   * The native plane cannot change its endpoints while it runs yet: endpoints whose
   * settings changed are reported as failed (the running ones carry on unchanged), and the
   * change takes effect at the next start.
   */
  async reconfigure(endpoints: readonly EndpointConfig[]): Promise<ReconfigureReport> {
    const running = new Map(this.#config.endpoints.map((endpoint) => [endpoint.name, endpoint]))
    const unchanged = endpoints.filter((endpoint) => isDeepStrictEqual(running.get(endpoint.name), endpoint)).map((endpoint) => endpoint.name)
    const same = unchanged.length === endpoints.length && endpoints.length === running.size && endpoints.every((endpoint, i) => endpoint.name === this.#config.endpoints[i]!.name)
    if (same) return { added: [], removed: [], changed: [], unchanged, summaries: [], failed: [] }
    const names = new Set([...running.keys(), ...endpoints.map((endpoint) => endpoint.name)])
    const error = 'the native data plane applies changed endpoints at the next start (or run the JavaScript plane, which applies them live)'
    const failed = [...names].filter((name) => !unchanged.includes(name)).map((endpoint) => ({ endpoint, error }))
    this.#logger.warn({ endpoints: failed.map((f) => f.endpoint) }, error)
    return { added: [], removed: [], changed: [], unchanged, summaries: [], failed }
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
      endpoints: this.#config.endpoints.map((config, i) => {
        const e = raw?.endpoints[i]
        return {
          name: config.name,
          address: e?.address ?? config.address,
          open: e?.open ?? false,
          sent: e?.sent ?? 0,
          sentByPath: e?.sentByPath ?? [],
          sentBytes: e?.sentBytes ?? 0,
          filtered: e?.filtered ?? 0,
          dropped: counts(DROP_REASONS, e?.dropped),
          queueRecords: e?.queueRecords ?? 0,
          queueCapacity: config.hwm,
          queueBytes: e?.queueBytes ?? 0,
          queueCapacityBytes: config.hwmBytes,
          // As the JavaScript plane: never fewer than one while a subscription is held.
          peers: Math.max(e?.peers ?? 0, (e?.topics ?? 0) > 0 ? 1 : 0),
          topics: e?.topics ?? 0,
          topicComparisons: e?.topicComparisons ?? 0,
          subscriptionsRejected: counts(SUBSCRIPTION_REJECT_REASONS, e?.subscriptionsRejected),
          resets: e?.resets ?? 0,
          fullPauses: e?.fullPauses ?? 0,
          spool: NO_SPOOL,
        }
      }),
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
