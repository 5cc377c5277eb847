// How many subscribers are connected to an endpoint, from the socket's monitor events.
// Only for the peers gauge: whether records are held depends on Subscriptions, which is
// ZeroMQ's own view of who wants what.

import type { XPublisher } from 'zeromq'

const HANDSHAKE_FAILURES = ['handshake:error:protocol', 'handshake:error:auth', 'handshake:error:other'] as const

export class PeerCount {
  #peers = 0
  // ZeroMQ reports a connection that failed its handshake (a port scan, a client of the
  // wrong protocol) as a handshake error followed by its disconnect: that disconnect is
  // not a subscriber leaving.
  #failedHandshakes = 0

  constructor(socket: XPublisher) {
    const events = socket.events
    events.on('handshake', () => this.#peers++)
    for (const failure of HANDSHAKE_FAILURES) events.on(failure, () => this.#failedHandshakes++)
    events.on('disconnect', () => {
      if (this.#failedHandshakes > 0) this.#failedHandshakes--
      else if (this.#peers > 0) this.#peers--
    })
  }

  get value(): number {
    return this.#peers
  }
}
