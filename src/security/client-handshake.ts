// What a CURVE client sees of a server that refuses it, or that cannot decrypt it because it
// does not hold the secret key of the client's server key: at best a handshake error, often
// only a connection closed before any handshake completed.

import type { Socket } from 'zeromq'

/** Calls `failed` for each connection of `socket` whose CURVE handshake did not complete. */
export function onClientHandshakeFailure(socket: Socket, failed: () => void): void {
  let handshaking = false
  socket.events.on('connect', () => (handshaking = true))
  socket.events.on('handshake', () => (handshaking = false))
  socket.events.on('handshake:error:protocol', failed)
  socket.events.on('handshake:error:auth', failed)
  socket.events.on('disconnect', () => {
    if (handshaking) failed()
    handshaking = false
  })
}
