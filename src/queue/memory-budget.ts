// The bytes all endpoint queues together may hold (ZEEK_ZMQ_MEMORY_LIMIT_BYTES). Each queue
// charges what it holds here, so the sum over all endpoints stays under the limit however
// the records are spread: past it, new records are dropped and counted (memory_limit).
//
// A record queued for several endpoints is one set of buffers, charged once per queue:
// the limit errs on the safe side.

export class MemoryBudget {
  readonly limit: number
  #used = 0

  constructor(limit: number) {
    this.limit = limit
  }

  get used(): number {
    return this.#used
  }

  /** Takes `bytes` from the budget; false (and nothing taken) when they do not fit. */
  take(bytes: number): boolean {
    if (this.#used + bytes > this.limit) return false
    this.#used += bytes
    return true
  }

  give(bytes: number): void {
    this.#used -= bytes
  }
}
