// Fans each accepted record out to every endpoint whose filters admit its path. The record
// is the very message the input socket handed over: never parsed, copied or re-encoded.

import type { InputStats } from '../input/input-stats.ts'
import type { Endpoint } from '../output/endpoint.ts'
import type { ZeekMessage } from '../queue/endpoint-queue.ts'
import { compilePathFilter } from './path-filter.ts'
import { PathTable } from './path-table.ts'

/** The longest pause between two sweeps for idle paths. */
const MAX_SWEEP_INTERVAL_MS = 60_000

export class RecordRouter {
  readonly paths: PathTable
  readonly #endpoints: readonly Endpoint[]
  readonly #stats: InputStats
  readonly #idleMs: number
  readonly #sweepMs: number
  #sweeper: NodeJS.Timeout | undefined

  /** A path not seen for `pathIdleS` seconds is forgotten (see sweepIdlePaths). */
  constructor(endpoints: readonly Endpoint[], stats: InputStats, limits: { readonly maxPaths: number; readonly pathIdleS: number }) {
    this.#endpoints = endpoints
    this.#stats = stats
    this.#idleMs = limits.pathIdleS * 1000
    this.#sweepMs = Math.min(this.#idleMs / 4, MAX_SWEEP_INTERVAL_MS)
    this.paths = new PathTable(
      endpoints.map((endpoint) => compilePathFilter(endpoint.config)),
      limits.maxPaths,
      performance.now(),
    )
  }

  /** Sweeps for idle paths every min(idle / 4, 60 s) until stopExpiry(); the timer keeps no one alive. */
  startExpiry(): void {
    this.#sweeper ??= setInterval(() => this.sweepIdlePaths(performance.now()), this.#sweepMs).unref()
  }

  stopExpiry(): void {
    clearInterval(this.#sweeper)
    this.#sweeper = undefined
  }

  /**
   * Forgets the paths not seen for the idle time, so that paths a publisher invented do
   * not keep Zeek's real ones out for good: their series leave /metrics and their ids
   * are reused. A path's last sighting is stamped by the clock of the sweep before it,
   * so one sweep interval is added: a path goes between idle and idle + 2 intervals
   * (1.5 times idle at most) after it was last seen.
   */
  sweepIdlePaths(now: number): void {
    for (const path of this.paths.expire(now, this.#idleMs + this.#sweepMs)) {
      for (const endpoint of this.#endpoints) {
        const counters = endpoint.counters
        counters.sentForgotten += counters.sentByPath[path.id]!
        counters.sentByPath[path.id] = 0
      }
    }
  }

  /** Routes a message whose framing the input has checked: [path, record]. */
  route(message: ZeekMessage): void {
    const pathFrame = message[0]!
    const path = this.paths.lookup(pathFrame)
    if (typeof path === 'string') {
      this.#stats.reject(path, message)
      return
    }
    path.records++
    this.#stats.bytes += pathFrame.length + message[1]!.length
    const endpoints = this.#endpoints
    for (let i = 0; i < endpoints.length; i++) {
      const endpoint = endpoints[i]!
      if (path.admitted[i]) endpoint.offer(message, path)
      else endpoint.counters.filtered++
    }
  }
}
