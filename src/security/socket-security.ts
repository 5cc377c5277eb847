// Puts a socket's access rules into effect: the CURVE options from the shipper's
// certificate, a ZAP domain that routes its peers' handshakes to the ZAP handler, and a
// watch on the handshake failures ZAP never sees (a peer of the wrong mechanism, a CURVE
// client that encrypted to another server key, or, for a CURVE client, a server that
// does not answer to server_key).

import type { Socket } from 'zeromq'
import type { Logger, RateLimitedLog } from '../logger.ts'
import { AuthStats } from './auth-stats.ts'
import { onClientHandshakeFailure } from './client-handshake.ts'
import type { CurveCertificate } from './certificate.ts'
import { keyPrefix } from './key-prefix.ts'
import { asksZap, OPEN_ACCESS, type SocketAccess } from './socket-access.ts'
import { ZapHandle } from './zap-handler.ts'

export class ShipperSecurity {
  readonly stats: AuthStats
  readonly #cert: CurveCertificate | undefined
  readonly #warnings: RateLimitedLog
  readonly #logger: Logger
  readonly #watched = new WeakSet<Socket>()
  /** Sockets given CURVE or ZAP options by an earlier bind. */
  readonly #secured = new WeakSet<Socket>()
  #zap: ZapHandle | undefined

  constructor(cert: CurveCertificate | undefined, logger: Logger, warnings: RateLimitedLog) {
    this.#cert = cert
    this.#logger = logger
    this.#warnings = warnings
    this.stats = new AuthStats(warnings)
  }

  /** Before any socket binds (and before endpoints added by a reload): the ZAP handler, when any socket will ask it. */
  async open(accesses: ReadonlyArray<SocketAccess | undefined>): Promise<void> {
    if (this.#zap === undefined && accesses.some((access) => access !== undefined && asksZap(access))) this.#zap = await ZapHandle.acquire(this.#logger)
  }

  /** After every socket has closed. */
  async close(): Promise<void> {
    await this.#zap?.release()
    this.#zap = undefined
  }

  /**
   * Sets the options for one bind or connect of `socket`. An input socket binds several
   * addresses with different rules: libzmq copies the options into each listener when it
   * binds, so every option is set each time, plain ones included.
   */
  apply(socket: Socket, label: string, access: SocketAccess | undefined): void {
    const options = socket as Socket & Record<string, unknown>
    // Options stay as an earlier bind of this socket left them: undo what that one set.
    const secured = this.#secured.has(socket)
    if (access?.curve !== undefined) {
      const cert = this.#cert
      if (cert === undefined) throw new Error('CURVE without a certificate: the configuration should have refused this')
      // libzmq's CURVE_SERVER option sets the mechanism too (false: NULL), so it comes
      // before the keys, which set CURVE.
      options.curveServer = access.curve === 'server'
      options.curvePublicKey = cert.publicKey
      options.curveSecretKey = cert.secretKey()
      if (access.curve === 'client') options.curveServerKey = access.serverKey ?? null
      this.#secured.add(socket)
    } else if (secured) {
      options.curveServer = false // the NULL mechanism again
    }
    const zap = this.#zap
    if (access !== undefined && asksZap(access)) {
      if (zap === undefined) throw new Error('a protected socket before the ZAP handler: open() first')
      this.stats.watch(label)
      options.zapDomain = zap.register({ socket: label, access, stats: this.stats })
      // Without a handler (closed at shutdown), refuse rather than admit everyone.
      options.zapEnforceDomain = true
      this.#secured.add(socket)
      this.#watchServer(socket, label)
    } else if (secured && zap !== undefined) {
      // libzmq takes no empty domain once one is set: this one admits every peer.
      options.zapDomain = zap.register({ socket: label, access: OPEN_ACCESS, stats: this.stats })
    }
    if (access?.curve === 'client') this.#watchClient(socket, label, access)
  }

  /**
   * Refusals that never reach ZAP. A peer of another mechanism usually shows as a
   * protocol error, but when it closes first (libzmq does, on seeing the server's greeting)
   * the kernel may discard its greeting with the connection, and all that is left to see
   * is a broken connection, or an accepted one that ended before any handshake result. Connections carry
   * no identity in these events, so they are matched by count, as PeerCount does.
   */
  #watchServer(socket: Socket, label: string): void {
    if (this.#watched.has(socket)) return
    this.#watched.add(socket)
    let handshaking = 0
    let failed = 0 // failed handshakes whose disconnect is still to come
    const settle = (): void => {
      if (handshaking > 0) handshaking--
    }
    socket.events.on('accept', () => handshaking++)
    socket.events.on('handshake', settle)
    socket.events.on('handshake:error:auth', () => {
      settle() // counted by the ZAP handler, with the peer's address and key
      failed++
    })
    socket.events.on('handshake:error:protocol', ({ error }) => {
      settle()
      failed++
      this.stats.reject(label, error.code === 'ERR_ZMTP_MECHANISM_MISMATCH' ? 'mechanism' : 'handshake', {})
    })
    // A broken connection (EPIPE, ECONNRESET) during the greeting: the peer left first.
    socket.events.on('handshake:error:other', () => {
      settle()
      failed++
      this.stats.reject(label, 'mechanism', {})
    })
    socket.events.on('disconnect', () => {
      if (failed > 0) failed--
      else if (handshaking > 0) {
        handshaking--
        this.stats.reject(label, 'mechanism', {})
      }
    })
  }

  /** A CURVE client learns nothing from a server that cannot decrypt it but a closed connection: say so. */
  #watchClient(socket: Socket, label: string, access: SocketAccess): void {
    if (this.#watched.has(socket)) return
    this.#watched.add(socket)
    onClientHandshakeFailure(socket, () =>
      this.#warnings.warn(
        `curve-client-${label}`,
        () => ({ endpoint: label, serverKeyPath: access.serverKeyPath, serverKey: keyPrefix(access.serverKey ?? '') }),
        'the CURVE handshake with the server failed: is server_key the public certificate of the server at this address?',
      ),
    )
  }
}
