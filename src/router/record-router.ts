// Fans each accepted record out to every endpoint whose filters admit its path. The record
// is the very message the input socket handed over: never parsed, copied or re-encoded.

import type { Outlet } from '../record/outlet.ts'
import type { PathFilter } from '../record/path-filter.ts'
import { compilePathFilter } from '../record/path-filter.ts'
import type { ZeekMessage } from '../record/zeek-message.ts'
import { PathTable, type PathProblem } from './path-table.ts'

/** The longest pause between two sweeps for idle paths. */
const MAX_SWEEP_INTERVAL_MS = 60_000

export class RecordRouter {
  readonly paths: PathTable
  #outlets: readonly Outlet[]
  readonly #idleMs: number
  readonly #sweepMs: number
  #sweeper: NodeJS.Timeout | undefined

  /** A path not seen for `pathIdleS` seconds is forgotten (see sweepIdlePaths). */
  /** `outlets[i]` receives the records that `filters[i]` admits. */
  constructor(outlets: readonly Outlet[], filters: readonly PathFilter[], limits: { readonly maxPaths: number; readonly pathIdleS: number }) {
    this.#outlets = outlets
    this.#idleMs = limits.pathIdleS * 1000
    this.#sweepMs = Math.min(this.#idleMs / 4, MAX_SWEEP_INTERVAL_MS)
    this.paths = new PathTable(
      filters.map(compilePathFilter),
      limits.maxPaths,
      performance.now(),
    )
  }

  /** The endpoints changed: from now on `outlets[i]` receives what `filters[i]` admits. */
  setOutlets(outlets: readonly Outlet[], filters: readonly PathFilter[]): void {
    this.#outlets = outlets
    this.paths.readmit(filters.map(compilePathFilter))
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
      for (const outlet of this.#outlets) outlet.forget(path)
    }
  }

  /**
   * Routes a message whose framing the input has checked: [path, record]. Returns why its
   * path was refused, for the input to count, or undefined once every outlet has had it.
   */
  route(message: ZeekMessage): PathProblem | undefined {
    const path = this.paths.lookup(message[0]!)
    if (typeof path === 'string') return path
    path.records++
    const outlets = this.#outlets
    for (let i = 0; i < outlets.length; i++) {
      if (path.admitted[i]) outlets[i]!.offer(message, path)
      else outlets[i]!.refuse()
    }
    return undefined
  }
}
