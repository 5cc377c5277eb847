// The topics subscribed on one endpoint's XPUB socket, as ZeroMQ itself sees them.
//
// The socket keeps its default verbosity: it reports a topic when the first subscriber
// subscribes to it and again when the last one leaves it, including the unsubscriptions
// ZeroMQ generates when a subscriber disconnects. So this set is exactly the socket's own
// view, however often a subscriber repeats a subscription: while it is empty, a record sent
// would reach nobody, and the endpoint holds its records instead.

const SUBSCRIBE = 1
const UNSUBSCRIBE = 0

export class Subscriptions {
  // Keyed by the topic bytes read as latin1, which maps bytes to characters one to one.
  readonly #topics = new Map<string, Buffer>()

  /** Whether anyone is subscribed to anything. */
  get any(): boolean {
    return this.#topics.size > 0
  }

  /** Applies a message read from the XPUB socket; returns whether it changed anything. */
  apply(frame: Buffer): boolean {
    const kind = frame[0]
    if (frame.length === 0 || (kind !== SUBSCRIBE && kind !== UNSUBSCRIBE)) return false
    const bytes = frame.subarray(1)
    const key = bytes.toString('latin1')
    if (kind === SUBSCRIBE) {
      if (this.#topics.has(key)) return false
      this.#topics.set(key, Buffer.from(bytes))
      return true
    }
    return this.#topics.delete(key)
  }

  /**
   * Whether some subscriber wants a record of this path: ZeroMQ topics are prefixes of
   * the first frame. A record no subscriber wants would vanish inside ZeroMQ, so the
   * endpoint counts it as filtered instead.
   */
  wants(path: Buffer): boolean {
    // Checked per record; topic "" (every path) is what subscribers almost always use.
    if (this.#topics.has('')) return true
    for (const prefix of this.#topics.values()) {
      if (prefix.length <= path.length && prefix.compare(path, 0, prefix.length) === 0) return true
    }
    return false
  }
}
