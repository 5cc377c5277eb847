// The JavaScript data plane, the reference implementation: input socket -> router ->
// per-endpoint queue -> outlet -> XPUB transport, assembled here and nowhere else. Start
// opens the outputs before the input, so that the first record has somewhere to go; stop
// runs the other way round.

import type { EndpointConfig } from '../config/endpoint-spec.ts'
import type { ShipperConfig } from '../config/load-config.ts'
import { InputStats } from '../input/input-stats.ts'
import { ZeekInput } from '../input/zeek-input.ts'
import { RateLimitedLog, type Logger } from '../logger.ts'
import { EndpointOutlet } from '../output/endpoint-outlet.ts'
import { XpubTransport } from '../output/xpub-transport.ts'
import { EndpointQueue } from '../queue/endpoint-queue.ts'
import { MemoryBudget } from '../queue/memory-budget.ts'
import { RecordRouter } from '../router/record-router.ts'
import { ShipperSecurity } from '../security/socket-security.ts'
import { TaskFailures } from '../task-failures.ts'
import type { DataPlane, DataPlaneSnapshot, EndpointSnapshot, EndpointSummary, PathSnapshot, Readiness, ReconfigureReport } from './data-plane.ts'
import { addressReleased } from './address-released.ts'
import { endpointChanges } from './endpoint-changes.ts'

export class JsDataPlane implements DataPlane {
  readonly kind = 'js'
  readonly #config: ShipperConfig
  readonly #logger: Logger
  readonly #stats: InputStats
  readonly #failures: TaskFailures
  readonly #security: ShipperSecurity
  readonly #budget: MemoryBudget
  readonly #warnings: RateLimitedLog
  #outlets: readonly EndpointOutlet[]
  /** Outlets being drained and closed by a reconfigure: stop() waits for them. */
  readonly #retiring = new Set<Promise<unknown>>()
  readonly #router: RecordRouter
  readonly #input: ZeekInput
  #stopping = false

  constructor(config: ShipperConfig, logger: Logger) {
    this.#config = config
    this.#logger = logger
    const warnings = new RateLimitedLog(logger)
    const failures = new TaskFailures(logger)
    this.#failures = failures
    this.#stats = new InputStats(warnings)
    this.#warnings = warnings
    this.#budget = new MemoryBudget(config.memoryLimitBytes)
    const security = new ShipperSecurity(config.curveCert, logger, warnings)
    this.#security = security
    this.#outlets = config.endpoints.map((endpoint) => this.#outletFor(endpoint))
    this.#router = new RecordRouter(this.#outlets, config.endpoints, config)
    this.#input = new ZeekInput({
      addresses: config.inputs,
      maxRecordBytes: config.maxRecordBytes,
      deliver: (message) => this.#router.route(message),
      stats: this.#stats,
      failures,
      logger,
      secure: (socket, _address, index) => security.apply(socket, 'input', config.inputAccess[index]),
    })
  }

  #outletFor(endpoint: EndpointConfig): EndpointOutlet {
    const security = this.#security
    const transport = new XpubTransport({
      config: endpoint,
      logger: this.#logger.child({ endpoint: endpoint.name }),
      warnings: this.#warnings,
      failures: this.#failures,
      secure: (socket) => security.apply(socket, endpoint.name, endpoint.access),
    })
    const queue = new EndpointQueue(endpoint.hwm, endpoint.hwmBytes, this.#budget)
    return new EndpointOutlet({
      config: endpoint,
      queue,
      transport,
      maxPaths: this.#config.maxPaths,
      warnings: this.#warnings,
      failures: this.#failures,
      lookupPath: (frame) => {
        const path = this.#router.paths.lookup(frame)
        return typeof path === 'string' ? undefined : path
      },
    })
  }

  readiness(): Readiness {
    const waitingFor: string[] = []
    if (this.#stopping) waitingFor.push('shutting down')
    if (!this.#input.isBound) waitingFor.push(`input ${this.#config.inputs.join(', ')}`)
    for (const outlet of this.#outlets) if (!outlet.transport.isOpen) waitingFor.push(`endpoint ${outlet.name}`)
    const spooled = Object.fromEntries(this.#outlets.map((outlet) => [outlet.name, outlet.spoolFigures().records] as const).filter(([, records]) => records > 0))
    return { ready: waitingFor.length === 0, waitingFor, spooled }
  }

  async start(): Promise<void> {
    try {
      // The ZAP handler first: a peer may knock as soon as a protected socket binds.
      // Spools first: a directory another process owns stops the start before anything binds.
      for (const outlet of this.#outlets) await outlet.openSpool()
      await this.#security.open([...this.#config.endpoints.map((e) => e.access), ...this.#config.inputAccess])
      for (const outlet of this.#outlets) {
        await outlet.open()
        const { config } = outlet
        this.#logger.info({ endpoint: outlet.name, address: outlet.transport.address, mode: config.mode, hwm: config.hwm }, 'endpoint open')
      }
      this.#router.startExpiry()
      await this.#input.bind()
      this.#logger.info({ inputs: this.#input.boundAddresses }, 'input bound')
    } catch (err) {
      await this.abort()
      throw err
    }
  }

  async reconfigure(endpoints: readonly EndpointConfig[]): Promise<ReconfigureReport> {
    const running = this.#outlets
    const { keep, added, removed, changed, unchanged } = endpointChanges(running.map((outlet) => outlet.config), endpoints)
    const before = new Map(running.map((outlet) => [outlet.name, outlet]))
    const outlets = endpoints.map((endpoint, i) => running[keep[i]!] ?? this.#outletFor(endpoint))
    const opening = outlets.filter((_, i) => keep[i]! < 0)
    const retired = running.filter((_, j) => !keep.includes(j))
    // From here on the router offers records to the new set: a changed endpoint's new queue
    // holds them while the old one drains.
    this.#outlets = outlets
    this.#router.setOutlets(outlets, endpoints)

    const closing = Promise.all(retired.map((outlet) => this.#retire(outlet)))
    this.#retiring.add(closing)
    const summaries = await closing.finally(() => this.#retiring.delete(closing))

    await this.#security.open(opening.map((outlet) => outlet.config.access))
    const failed: Array<{ endpoint: string; error: string }> = []
    for (const outlet of opening) {
      const old = before.get(outlet.name)
      try {
        if (old !== undefined && old.config.mode === 'bind') await addressReleased(old.transport.address)
        await outlet.openSpool()
        await outlet.open(old !== undefined)
        this.#logger.info({ endpoint: outlet.name, address: outlet.transport.address, mode: outlet.config.mode, hwm: outlet.config.hwm }, 'endpoint open')
      } catch (err) {
        failed.push({ endpoint: outlet.name, error: (err as Error).message })
        this.#logger.error({ err, endpoint: outlet.name }, 'could not open the endpoint; /readyz names it until a reload fixes it')
      }
    }
    return { added, removed, changed, unchanged, summaries, failed }
  }

  /** Drains an outlet the endpoints no longer include for its linger, then closes it. */
  async #retire(outlet: EndpointOutlet): Promise<EndpointSummary> {
    const started = Date.now()
    await outlet.drain(started + outlet.config.lingerMs)
    const summary = await outlet.close(started + outlet.config.lingerMs - Date.now())
    this.#logger.info(summary, 'endpoint summary')
    return summary
  }

  async abort(): Promise<void> {
    this.#stopping = true
    this.#router.stopExpiry()
    await this.#input.close()
    await Promise.all(this.#outlets.map((outlet) => outlet.close(0)))
    await this.#security.close()
  }

  async stop(): Promise<EndpointSummary[]> {
    this.#stopping = true
    this.#router.stopExpiry()
    await this.#input.close()
    const started = Date.now()
    await Promise.all(this.#outlets.map((outlet) => outlet.drain(started + outlet.config.lingerMs)))
    const summaries = await Promise.all(this.#outlets.map((outlet) => outlet.close(started + outlet.config.lingerMs - Date.now())))
    await Promise.all(this.#retiring)
    await this.#security.close()
    return summaries
  }

  snapshot(): DataPlaneSnapshot {
    const live = this.#router.paths.paths
    const paths: PathSnapshot[] = live.map((path) => ({ name: path.name, records: path.records, admitted: path.admitted }))
    const endpoints = this.#outlets.map((outlet): EndpointSnapshot => {
      const { counters, queue, transport } = outlet
      return {
        name: outlet.name,
        address: transport.address,
        open: transport.isOpen,
        sent: outlet.sent,
        sentByPath: live.map((path) => counters.sentByPath[path.id]!),
        sentBytes: counters.sentBytes,
        filtered: counters.filtered,
        dropped: outlet.droppedCounts(),
        queueRecords: queue.length,
        queueCapacity: queue.capacity,
        queueBytes: queue.bytes,
        queueCapacityBytes: queue.capacityBytes,
        fullPauses: outlet.fullPauses,
        spool: outlet.spoolFigures(),
        ...transport.state(),
      }
    })
    const stats = this.#stats
    return {
      input: { addresses: [...this.#input.boundAddresses], bytes: stats.bytes, rejected: { ...stats.rejected }, disconnects: { ...stats.disconnects } },
      paths,
      endpoints,
      auth: [...this.#security.stats.rejected].map(([socket, counts]) => [socket, { ...counts }] as const),
      internalErrors: this.#failures.count,
    }
  }
}
