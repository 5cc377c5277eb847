// The ZAP handler (ZeroMQ RFC 27): libzmq asks it, over inproc://zeromq.zap.01 in the
// sockets' context, whether a peer may complete its handshake with a socket that has a
// ZAP domain. One per context: the shipper's sockets all live in zeromq.js's default
// context, so every shipper in a process shares it, each socket known by its domain.
//
// Request:  [routing id, "", "1.0", request id, domain, address, identity, mechanism, credentials...]
// Reply:    [routing id, "", "1.0", request id, status code, status text, user id, metadata]

import { setTimeout as delay } from 'node:timers/promises'
import { Router } from 'zeromq'
import type { Logger } from '../logger.ts'
import type { AuthRejectReason, AuthStats } from './auth-stats.ts'
import { keyPrefix } from './key-prefix.ts'
import type { SocketAccess } from './socket-access.ts'
import { z85Encode } from './z85.ts'

export const ZAP_ENDPOINT = 'inproc://zeromq.zap.01'
const CURVE_KEY_BYTES = 32
const BIND_ATTEMPTS = 50
const BIND_RETRY_MS = 20
const RECEIVE_RETRY_MS = 100

function isZmqError(err: unknown): err is Error & { code: string } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string'
}

export interface ZapPolicy {
  /** The socket's label in metrics and logs: an endpoint's name, or "input". */
  readonly socket: string
  readonly access: SocketAccess
  readonly stats: AuthStats
}

/** Why a peer is refused, or undefined when it is admitted. */
export function judge(access: SocketAccess, address: string, mechanism: string, credentials: readonly Buffer[]): AuthRejectReason | undefined {
  if (access.allow !== undefined && !access.allow.allows(address)) return 'address'
  if (access.curve === 'server') {
    const key = credentials[0]
    if (mechanism !== 'CURVE' || key === undefined || key.length !== CURVE_KEY_BYTES) return 'mechanism'
    if (access.clientKeys !== undefined && !access.clientKeys.has(z85Encode(key))) return 'unknown_key'
    return undefined
  }
  return mechanism === 'NULL' ? undefined : 'mechanism'
}

class SharedHandler {
  readonly #router = new Router()
  readonly #policies = new Map<string, ZapPolicy>()
  readonly #logger: Logger
  #users = 0
  #nextDomain = 0
  #bound: Promise<void> | undefined
  #loop: Promise<void> = Promise.resolve()

  constructor(logger: Logger) {
    this.#logger = logger
  }

  async acquire(): Promise<void> {
    this.#users++
    this.#bound ??= this.#bind()
    await this.#bound
  }

  async #bind(): Promise<void> {
    // A handler closed a moment ago (the previous shipper in this process) frees the
    // inproc name only once libzmq has reaped its socket.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#router.bind(ZAP_ENDPOINT)
        break
      } catch (err) {
        if (!isZmqError(err) || err.code !== 'EADDRINUSE' || attempt >= BIND_ATTEMPTS) throw err
        await delay(BIND_RETRY_MS)
      }
    }
    this.#loop = this.#serve()
  }

  /** Whether this was the last user; then the handler closes. Sockets that still ask fail their handshakes (zapEnforceDomain). */
  release(): boolean {
    if (--this.#users > 0) return false
    this.#router.close()
    return true
  }

  get done(): Promise<void> {
    return this.#loop
  }

  register(policy: ZapPolicy): string {
    // The domain only routes requests to their policy: short, and nothing an operator types.
    const domain = `zeek-zmq-shipper.${++this.#nextDomain}`
    this.#policies.set(domain, policy)
    return domain
  }

  unregister(domain: string): void {
    this.#policies.delete(domain)
  }

  async #serve(): Promise<void> {
    for (;;) {
      let frames: Buffer[]
      try {
        frames = await this.#router.receive()
      } catch (err) {
        if (this.#router.closed) return
        this.#logger.error({ err }, 'the ZAP handler failed to receive; retrying')
        await delay(RECEIVE_RETRY_MS)
        continue
      }
      const reply = this.#decide(frames)
      if (reply === undefined) continue
      try {
        await this.#router.send(reply)
      } catch (err) {
        if (this.#router.closed) return
        this.#logger.error({ err }, 'the ZAP handler failed to reply')
      }
    }
  }

  #decide(frames: Buffer[]): Array<Buffer | string> | undefined {
    const [id, delimiter, version, requestId, domain, address, , mechanism, ...credentials] = frames
    if (id === undefined || delimiter === undefined || requestId === undefined || mechanism === undefined) return undefined
    const answer = (code: string, text: string): Array<Buffer | string> => [id, delimiter, '1.0', requestId, code, text, '', '']
    if (version?.toString() !== '1.0') return answer('500', 'unsupported ZAP version')
    const policy = this.#policies.get(domain?.toString() ?? '')
    // A socket that asks and is not known here is refused: asking means it wanted a decision.
    if (policy === undefined) return answer('400', 'unknown domain')
    const peer = address?.toString() ?? ''
    const reason = judge(policy.access, peer, mechanism.toString(), credentials)
    if (reason === undefined) return answer('200', 'OK')
    const key = mechanism.toString() === 'CURVE' && credentials[0]?.length === CURVE_KEY_BYTES ? keyPrefix(z85Encode(credentials[0])) : undefined
    policy.stats.reject(policy.socket, reason, { address: peer, keyPrefix: key })
    return answer('400', reason)
  }
}

let shared: SharedHandler | undefined

/** A user's hold on the process's ZAP handler: the first one binds it, the last one closes it. */
export class ZapHandle {
  readonly #handler: SharedHandler
  readonly #domains: string[] = []
  #released = false

  private constructor(handler: SharedHandler) {
    this.#handler = handler
  }

  static async acquire(logger: Logger): Promise<ZapHandle> {
    shared ??= new SharedHandler(logger.child({ component: 'zap' }))
    const handle = new ZapHandle(shared)
    await shared.acquire()
    return handle
  }

  /** The ZAP domain to set on a socket, so that its requests meet this policy. */
  register(policy: ZapPolicy): string {
    const domain = this.#handler.register(policy)
    this.#domains.push(domain)
    return domain
  }

  async release(): Promise<void> {
    if (this.#released) return
    this.#released = true
    for (const domain of this.#domains) this.#handler.unregister(domain)
    if (!this.#handler.release()) return
    if (shared === this.#handler) shared = undefined
    await this.#handler.done
  }
}
