// How many peers an endpoint's socket has, from its monitor events. Only for the peers
// gauge: whether records are held depends on Subscriptions, which is ZeroMQ's own view of
// who wants what.
//
// An open endpoint counts connections. ZeroMQ reports every connection it accepts (bind
// mode) or makes (connect mode) once, and ends every one of them, whatever the reason (the
// peer left, failed its handshake, spoke no ZMTP, sent a message over the size limit), with
// exactly one disconnect. So connections minus disconnects is exact, however short-lived
// the peers; counting handshakes instead loses the peers that leave before their handshake
// is done.
//
// A protected endpoint (CURVE or an allow-list) counts only peers that passed its checks:
// ZeroMQ reports the handshake only after the ZAP handler admitted the peer, and a refused
// peer's connection ends with a handshake error before its disconnect. A peer that breaks
// the protocol after its handshake ends with a bare disconnect, which cannot be told from
// an admitted peer leaving; the floor of one while a subscription is held keeps that from
// showing an endpoint with subscribers as having none.

import type { XPublisher } from 'zeromq'

const HANDSHAKE_FAILURES = ['handshake:error:protocol', 'handshake:error:auth', 'handshake:error:other'] as const

export class PeerCount {
  #peers = 0
  #failedHandshakes = 0

  /** `admittedOnly`: the endpoint is protected, and counts only peers that passed its checks. */
  constructor(socket: XPublisher, admittedOnly: boolean) {
    const events = socket.events
    if (!admittedOnly) {
      events.on('accept', () => this.#peers++)
      events.on('connect', () => this.#peers++)
      events.on('disconnect', () => this.#peers--)
      return
    }
    events.on('handshake', () => this.#peers++)
    for (const failure of HANDSHAKE_FAILURES) events.on(failure, () => this.#failedHandshakes++)
    events.on('disconnect', () => {
      if (this.#failedHandshakes > 0) this.#failedHandshakes--
      else if (this.#peers > 0) this.#peers--
    })
  }

  /** Peers; never fewer than one while ZeroMQ holds a subscription (`subscribed`). */
  value(subscribed: boolean): number {
    return Math.max(this.#peers, subscribed ? 1 : 0)
  }
}
