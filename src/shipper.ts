// The whole data path, assembled: input socket -> router -> per-endpoint queue -> output
// socket, with the counters that metrics read. Start opens the outputs before the input, so
// that the first record has somewhere to go; stop runs the other way round.

import type { ShipperConfig } from './config/load-config.ts'
import { InputStats } from './input/input-stats.ts'
import { ZeekInput } from './input/zeek-input.ts'
import { RateLimitedLog, type Logger } from './logger.ts'
import { createMetricsRegistry } from './metrics/shipper-metrics.ts'
import { Endpoint, type EndpointSummary } from './output/endpoint.ts'
import { MemoryBudget } from './queue/memory-budget.ts'
import { RecordRouter } from './router/record-router.ts'
import { ShipperSecurity } from './security/socket-security.ts'
import type { Registry } from 'prom-client'

export interface Readiness {
  readonly ready: boolean
  /** What is not ready yet, for the /readyz body. */
  readonly waitingFor: string[]
}

export class Shipper {
  readonly config: ShipperConfig
  readonly stats: InputStats
  readonly endpoints: readonly Endpoint[]
  readonly router: RecordRouter
  readonly input: ZeekInput
  readonly registry: Registry
  readonly security: ShipperSecurity
  readonly #logger: Logger
  #stopping = false

  constructor(config: ShipperConfig, logger: Logger) {
    this.config = config
    this.#logger = logger
    const warnings = new RateLimitedLog(logger)
    this.stats = new InputStats(warnings)
    const budget = new MemoryBudget(config.memoryLimitBytes)
    const security = new ShipperSecurity(config.curveCert, logger, warnings)
    this.security = security
    this.endpoints = config.endpoints.map(
      (endpoint) => new Endpoint(endpoint, logger, warnings, config.maxPaths, budget, (socket) => security.apply(socket, endpoint.name, endpoint.access)),
    )
    this.router = new RecordRouter(this.endpoints, this.stats, config)
    this.input = new ZeekInput(config.inputs, this.router, this.stats, config.maxRecordBytes, logger, (socket, _address, index) => security.apply(socket, 'input', config.inputAccess[index]))
    this.registry = createMetricsRegistry({ input: this.stats, endpoints: this.endpoints, paths: () => this.router.paths.paths, auth: security.stats })
  }

  readiness(): Readiness {
    const waitingFor: string[] = []
    if (this.#stopping) waitingFor.push('shutting down')
    if (!this.input.isBound) waitingFor.push(`input ${this.config.inputs.join(', ')}`)
    for (const endpoint of this.endpoints) if (!endpoint.isOpen) waitingFor.push(`endpoint ${endpoint.name}`)
    return { ready: waitingFor.length === 0, waitingFor }
  }

  async start(): Promise<void> {
    try {
      // The ZAP handler first: a peer may knock as soon as a protected socket binds.
      await this.security.open([...this.config.endpoints.map((e) => e.access), ...this.config.inputAccess])
      for (const endpoint of this.endpoints) {
        await endpoint.open()
        this.#logger.info({ endpoint: endpoint.name, address: endpoint.address, mode: endpoint.config.mode, hwm: endpoint.config.hwm }, 'endpoint open')
      }
      this.router.startExpiry()
      await this.input.bind()
      this.#logger.info({ inputs: this.input.boundAddresses }, 'input bound')
    } catch (err) {
      await this.abort()
      throw err
    }
  }

  /** Closes every socket at once, holding nothing back: for a start that failed. */
  async abort(): Promise<void> {
    this.#stopping = true
    this.router.stopExpiry()
    await this.input.close()
    for (const endpoint of this.endpoints) endpoint.close(0)
    await this.security.close()
  }

  /**
   * Stops reading input, gives every endpoint up to its linger to send what it holds,
   * then closes the outputs. Returns one summary per endpoint.
   */
  async stop(): Promise<EndpointSummary[]> {
    this.#stopping = true
    this.router.stopExpiry()
    await this.input.close()
    const started = Date.now()
    await Promise.all(this.endpoints.map((endpoint) => endpoint.drain(started + endpoint.config.lingerMs)))
    const summaries = this.endpoints.map((endpoint) => endpoint.close(started + endpoint.config.lingerMs - Date.now()))
    await this.security.close()
    return summaries
  }
}
