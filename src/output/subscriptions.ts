// The topics subscribed on one endpoint's XPUB socket, as ZeroMQ itself sees them, bounded
// in number and size, and matched against a path once per change, not once per record.
//
// The socket reports every subscription (repeats too, which change nothing here) and an
// unsubscription when the last subscriber leaves a topic, including the unsubscriptions
// ZeroMQ generates when a subscriber disconnects. So this set is exactly the socket's own
// view, however often a subscriber repeats a subscription: while it is empty, a record sent
// would reach nobody, and the endpoint holds its records instead.

import type { LogPath } from '../record/log-path.ts'

const SUBSCRIBE = 1
const UNSUBSCRIBE = 0

export interface SubscriptionLimits {
  /** Longest topic accepted, in bytes. */
  readonly maxTopicBytes: number
  /** Most distinct topics held at once. */
  readonly maxSubscriptions: number
}

/** What applying one message from the socket did. */
export type SubscriptionChange = 'changed' | 'unchanged' | 'topic_too_large' | 'too_many_subscriptions'


export class Subscriptions {
  // Keyed by the topic bytes read as latin1, which maps bytes to characters one to one.
  readonly #topics = new Map<string, Buffer>()
  readonly #limits: SubscriptionLimits
  // The answer of wants() per path id, valid while #answeredAt[id] is the current
  // generation and #answeredFor[id] is that very path (ids of forgotten paths are reused).
  #generation = 0
  #answeredAt = new Float64Array(0)
  #answeredFor: (LogPath | undefined)[] = []
  #answers = new Uint8Array(0)
  /** Topics compared against a path so far: grows with changes and paths, never with records. */
  comparisons = 0

  constructor(limits: SubscriptionLimits) {
    this.#limits = limits
  }

  /** Whether anyone is subscribed to anything. */
  get any(): boolean {
    return this.#topics.size > 0
  }

  /** Distinct topics held. */
  get size(): number {
    return this.#topics.size
  }

  /** Applies a message read from the XPUB socket. A refused topic is never added. */
  apply(frame: Buffer): SubscriptionChange {
    const kind = frame[0]
    if (frame.length === 0 || (kind !== SUBSCRIBE && kind !== UNSUBSCRIBE)) return 'unchanged'
    const bytes = frame.subarray(1)
    const key = bytes.toString('latin1')
    if (kind === UNSUBSCRIBE) return this.#topics.delete(key) ? this.#changed() : 'unchanged'
    if (this.#topics.has(key)) return 'unchanged'
    if (bytes.length > this.#limits.maxTopicBytes) return 'topic_too_large'
    if (this.#topics.size >= this.#limits.maxSubscriptions) return 'too_many_subscriptions'
    this.#topics.set(key, Buffer.from(bytes))
    return this.#changed()
  }

  /** Forgets every topic: the socket that held them is gone. */
  clear(): void {
    this.#topics.clear()
    this.#changed()
  }

  /**
   * Whether some subscriber wants a record of this path: ZeroMQ topics are prefixes of the
   * first frame. A record no subscriber wants would vanish inside ZeroMQ, so the endpoint
   * counts it as filtered instead. Decided once per path and change of the topics, so a
   * record costs the same however many topics a subscriber has sent.
   */
  wants(path: LogPath): boolean {
    const id = path.id
    if (id < this.#answers.length && this.#answeredAt[id] === this.#generation && this.#answeredFor[id] === path) return this.#answers[id] === 1
    const wanted = this.#match(path.bytes)
    if (id >= this.#answers.length) this.#grow(id + 1)
    this.#answers[id] = wanted ? 1 : 0
    this.#answeredAt[id] = this.#generation
    this.#answeredFor[id] = path
    return wanted
  }

  #match(path: Buffer): boolean {
    if (this.#topics.has('')) return true // what subscribers almost always use
    for (const prefix of this.#topics.values()) {
      this.comparisons++
      if (prefix.length <= path.length && prefix.compare(path, 0, prefix.length) === 0) return true
    }
    return false
  }

  #changed(): 'changed' {
    this.#generation++
    return 'changed'
  }

  #grow(needed: number): void {
    const size = Math.max(needed, this.#answers.length * 2, 64)
    const answers = new Uint8Array(size)
    answers.set(this.#answers)
    const answeredAt = new Float64Array(size).fill(-1)
    answeredAt.set(this.#answeredAt)
    this.#answers = answers
    this.#answeredAt = answeredAt
  }
}
