// The records appended last, kept in memory up to a byte bound, so that a reader that has
// caught up with the writer (an endpoint sending as fast as records arrive, behind an
// older backlog) takes them from here instead of reading each back from the file it was
// just written to: an asynchronous read per record costs ten times the rest of the
// spool's work. Records older than the bound, or read after a restart, come from disk.

import type { ZeekMessage } from '../record/zeek-message.ts'

export interface TailEntry<S> {
  readonly segment: S
  /** Offset of the record in its segment. */
  readonly offset: number
  readonly bytes: number
  readonly message: ZeekMessage
}

export class TailCache<S> {
  readonly #limit: number
  #entries: (TailEntry<S> | undefined)[] = []
  #first = 0
  #bytes = 0

  constructor(limitBytes: number) {
    this.#limit = limitBytes
  }

  push(entry: TailEntry<S>): void {
    if (entry.bytes > this.#limit) return this.clear()
    this.#entries.push(entry)
    this.#bytes += entry.bytes
    while (this.#bytes > this.#limit) this.#dropFirst()
  }

  /**
   * The cached record at `offset` of `segment`, dropping every older one (they were read,
   * or their segment is gone); undefined when that record is no longer cached.
   */
  take(segment: S, offset: number, isLive: (segment: S) => boolean): TailEntry<S> | undefined {
    for (let entry = this.#entries[this.#first]; entry !== undefined; entry = this.#entries[this.#first]) {
      const older = entry.segment === segment ? entry.offset < offset : !isLive(entry.segment)
      if (!older) return entry.segment === segment && entry.offset === offset ? entry : undefined
      this.#dropFirst()
    }
    return undefined
  }

  clear(): void {
    this.#entries = []
    this.#first = 0
    this.#bytes = 0
  }

  #dropFirst(): void {
    const entry = this.#entries[this.#first]!
    this.#entries[this.#first++] = undefined
    this.#bytes -= entry.bytes
    // Compact now and then, so the array does not grow with every record ever cached.
    if (this.#first > 1024 && this.#first * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#first)
      this.#first = 0
    }
  }
}
