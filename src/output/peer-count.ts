// How many connections an endpoint's socket has, from its monitor events. Only for the
// peers gauge: whether records are held depends on Subscriptions, which is ZeroMQ's own
// view of who wants what.
//
// ZeroMQ reports every connection it accepts (bind mode) or makes (connect mode) once,
// and ends every one of them, whatever the reason (the peer left, failed its handshake,
// spoke no ZMTP, sent a message over the size limit), with exactly one disconnect. So
// connections minus disconnects is exact, however short-lived the peers; counting
// handshakes instead loses the peers that leave before their handshake is done.

import type { XPublisher } from 'zeromq'

export class PeerCount {
  #connections = 0

  constructor(socket: XPublisher) {
    const events = socket.events
    events.on('accept', () => this.#connections++)
    events.on('connect', () => this.#connections++)
    events.on('disconnect', () => this.#connections--)
  }

  /** Open connections; never fewer than one while ZeroMQ holds a subscription (`subscribed`). */
  value(subscribed: boolean): number {
    return Math.max(this.#connections, subscribed ? 1 : 0)
  }
}
