// Fans each accepted record out to every endpoint whose filters admit its path. The record
// is the very message the input socket handed over: never parsed, copied or re-encoded.

import type { InputStats } from '../input/input-stats.ts'
import type { Endpoint } from '../output/endpoint.ts'
import type { ZeekMessage } from '../queue/endpoint-queue.ts'
import { compilePathFilter } from './path-filter.ts'
import { PathTable } from './path-table.ts'

export class RecordRouter {
  readonly paths: PathTable
  readonly #endpoints: readonly Endpoint[]
  readonly #stats: InputStats

  constructor(endpoints: readonly Endpoint[], stats: InputStats) {
    this.#endpoints = endpoints
    this.#stats = stats
    this.paths = new PathTable(endpoints.map((endpoint) => compilePathFilter(endpoint.config)))
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
