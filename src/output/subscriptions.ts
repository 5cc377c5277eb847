// The subscriptions live on one endpoint's XPUB socket, as its subscribers announce them.
//
// The socket reports every subscribe and unsubscribe (verbosity "allSubsUnsubs"), including
// the unsubscriptions ZeroMQ generates when a subscriber disconnects, so the count here is
// the number of live (subscriber, topic) pairs. A subscriber that subscribes to everything
// (topic "") counts once: that is the usual case and what the peers gauge reports.

const SUBSCRIBE = 1
const UNSUBSCRIBE = 0

interface Topic {
  readonly bytes: Buffer
  count: number
}

export class Subscriptions {
  // Keyed by the topic bytes read as latin1, which maps bytes to characters one to one.
  readonly #topics = new Map<string, Topic>()
  #count = 0
  /** Subscriptions to topic "", which matches every path: the common case, checked per record. */
  #everything = 0

  /** Live subscriptions: while there are none, the endpoint holds its records. */
  get count(): number {
    return this.#count
  }

  /** Applies a message read from the XPUB socket; returns whether it changed anything. */
  apply(frame: Buffer): boolean {
    const kind = frame[0]
    if (frame.length === 0 || (kind !== SUBSCRIBE && kind !== UNSUBSCRIBE)) return false
    const bytes = frame.subarray(1)
    const key = bytes.toString('latin1')
    const topic = this.#topics.get(key)
    if (kind === SUBSCRIBE) {
      if (topic === undefined) this.#topics.set(key, { bytes: Buffer.from(bytes), count: 1 })
      else topic.count++
      this.#count++
      if (bytes.length === 0) this.#everything++
      return true
    }
    if (topic === undefined) return false
    topic.count--
    this.#count--
    if (bytes.length === 0) this.#everything--
    if (topic.count === 0) this.#topics.delete(key)
    return true
  }

  /**
   * Whether some subscriber wants a record of this path: ZeroMQ topics are prefixes of
   * the first frame. A record no subscriber wants would vanish inside ZeroMQ, so the
   * endpoint counts it as filtered instead.
   */
  wants(path: Buffer): boolean {
    if (this.#everything > 0) return true
    for (const topic of this.#topics.values()) {
      const prefix = topic.bytes
      if (prefix.length <= path.length && prefix.compare(path, 0, prefix.length) === 0) return true
    }
    return false
  }
}
