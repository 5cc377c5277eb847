// The bounded FIFO of records waiting for one endpoint. It is the authority on what is held
// and what is dropped: ZeroMQ's own buffers stay small (see endpoint.ts), so a record is
// either here, handed to ZeroMQ and counted as sent, or counted as dropped.
//
// A ring buffer of the messages exactly as the input socket handed them over: enqueueing
// copies no bytes and allocates nothing once the ring has grown to its working size.
// Bounded twice: in records (hwm) and in the bytes of its frames (hwm_bytes), and it
// charges those bytes to the budget shared by all queues (ZEEK_ZMQ_MEMORY_LIMIT_BYTES).

import type { LogPath } from '../record/log-path.ts'
import { messageBytes, type ZeekMessage } from '../record/zeek-message.ts'
import type { MemoryBudget } from './memory-budget.ts'

const INITIAL_SLOTS = 1024

/** Why a record was not queued: this queue's own bounds, or all queues' memory limit. */
export type QueueRefusal = 'queue_full' | 'memory_limit'

export class EndpointQueue {
  readonly capacity: number
  readonly capacityBytes: number
  readonly #budget: MemoryBudget
  #messages: (ZeekMessage | undefined)[]
  #paths: (LogPath | undefined)[]
  #head = 0
  #length = 0
  #bytes = 0

  constructor(capacity: number, capacityBytes: number, budget: MemoryBudget) {
    this.capacity = capacity
    this.capacityBytes = capacityBytes
    this.#budget = budget
    // Grow on demand: a large hwm should cost memory only when records actually pile up.
    const slots = Math.min(capacity, INITIAL_SLOTS)
    this.#messages = new Array<ZeekMessage | undefined>(slots).fill(undefined)
    this.#paths = new Array<LogPath | undefined>(slots).fill(undefined)
  }

  get length(): number {
    return this.#length
  }

  /** Bytes of the records queued. */
  get bytes(): number {
    return this.#bytes
  }

  get isFull(): boolean {
    return this.#length >= this.capacity
  }

  /** Adds a record at the tail; returns why not (and keeps nothing) when it does not fit. */
  push(message: ZeekMessage, path: LogPath): QueueRefusal | undefined {
    const bytes = messageBytes(message)
    if (this.#length >= this.capacity || this.#bytes + bytes > this.capacityBytes) return 'queue_full'
    if (!this.#budget.take(bytes)) return 'memory_limit'
    this.#bytes += bytes
    if (this.#length === this.#messages.length) this.#grow()
    const slot = (this.#head + this.#length) % this.#messages.length
    this.#messages[slot] = message
    this.#paths[slot] = path
    path.queued++ // keeps the path table from forgetting the path while its record waits here
    this.#length++
    return undefined
  }

  /** The record at the head, left in place until shift(): it is still queued while it is being sent. */
  peekMessage(): ZeekMessage | undefined {
    return this.#length === 0 ? undefined : this.#messages[this.#head]
  }

  peekPath(): LogPath | undefined {
    return this.#length === 0 ? undefined : this.#paths[this.#head]
  }

  /** Removes the head record. */
  shift(): void {
    if (this.#length === 0) return
    this.#paths[this.#head]!.queued--
    const bytes = messageBytes(this.#messages[this.#head]!)
    this.#bytes -= bytes
    this.#budget.give(bytes)
    this.#messages[this.#head] = undefined
    this.#paths[this.#head] = undefined
    this.#head = (this.#head + 1) % this.#messages.length
    this.#length--
  }

  /** Empties the queue and returns how many records it held. */
  clear(): number {
    const held = this.#length
    for (let i = 0; i < held; i++) this.#paths[(this.#head + i) % this.#paths.length]!.queued--
    this.#budget.give(this.#bytes)
    this.#bytes = 0
    this.#messages.fill(undefined)
    this.#paths.fill(undefined)
    this.#head = 0
    this.#length = 0
    return held
  }

  #grow(): void {
    const slots = Math.min(this.capacity, this.#messages.length * 2)
    const messages = new Array<ZeekMessage | undefined>(slots).fill(undefined)
    const paths = new Array<LogPath | undefined>(slots).fill(undefined)
    for (let i = 0; i < this.#length; i++) {
      const from = (this.#head + i) % this.#messages.length
      messages[i] = this.#messages[from]
      paths[i] = this.#paths[from]
    }
    this.#messages = messages
    this.#paths = paths
    this.#head = 0
  }
}
