// How many messages that change no subscription an endpoint's peers may send in a minute.
//
// The XPUB socket reports every subscribe message, repeats included (ZMQ_XPUB_VERBOSE), so
// that a peer repeating one subscription, cancelling topics it never held or sending
// messages that are not subscriptions is seen: libzmq decodes and files each of them on the
// shipper's thread, and such a peer adds no topic that the subscription limit would catch.
// Subscribers send each topic once per connection, so the allowance is generous: sixteen
// times the topic limit, plus the topic limit once more for every connected peer (all of
// them reconnecting at once after a reset resend every topic).

const WINDOW_MS = 60_000
const ALLOWANCE_PER_LIMIT = 16

export class IdleMessageBudget {
  readonly #maxSubscriptions: number
  #windowStart = 0
  #spent = 0

  constructor(maxSubscriptions: number) {
    this.#maxSubscriptions = maxSubscriptions
  }

  /** Counts one message that changed nothing; false once the peers are past their allowance. */
  spend(peers: number, now = Date.now()): boolean {
    if (now - this.#windowStart >= WINDOW_MS) {
      this.#windowStart = now
      this.#spent = 0
    }
    this.#spent++
    return this.#spent <= this.#maxSubscriptions * (ALLOWANCE_PER_LIMIT + peers)
  }

  /** A new socket: its peers start afresh. */
  clear(): void {
    this.#spent = 0
    this.#windowStart = 0
  }
}
