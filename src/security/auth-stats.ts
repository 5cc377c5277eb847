// Peers refused by a protected socket, by socket and reason. Plain numbers, read by
// prom-client at scrape time; each refusal is also logged, at most once per interval per
// socket and reason, with the peer's address and the first characters of its public key.

import type { RateLimitedLog } from '../logger.ts'

export const AUTH_REJECT_REASONS = [
  'address', // the peer's address is outside the socket's allow list
  'unknown_key', // a CURVE client whose public key is not among the socket's clients
  'mechanism', // a peer without CURVE at a CURVE server (or with CURVE at a plain one), or gone before its handshake
  'handshake', // a CURVE handshake that failed: a client that encrypted to another server key, or garbage
] as const

export type AuthRejectReason = (typeof AUTH_REJECT_REASONS)[number]

export interface RefusedPeer {
  /** The peer's IP address; ZeroMQ names it to ZAP, not in a failed handshake's event. */
  readonly address?: string
  /** The first characters of its public key, never the key. */
  readonly keyPrefix?: string
}

type Counts = Record<AuthRejectReason, number>

export class AuthStats {
  /** By socket label: an endpoint's name, or "input". */
  readonly rejected = new Map<string, Counts>()
  readonly #warnings: RateLimitedLog
  readonly #logKinds = new Map<string, Record<AuthRejectReason, string>>()

  constructor(warnings: RateLimitedLog) {
    this.#warnings = warnings
  }

  /** A socket that refuses peers: its counters exist, at zero, from the start. */
  watch(socket: string): void {
    if (this.rejected.has(socket)) return
    this.rejected.set(socket, Object.fromEntries(AUTH_REJECT_REASONS.map((r) => [r, 0])) as Counts)
    this.#logKinds.set(socket, Object.fromEntries(AUTH_REJECT_REASONS.map((r) => [r, `auth-${r}-${socket}`])) as Record<AuthRejectReason, string>)
  }

  reject(socket: string, reason: AuthRejectReason, peer: RefusedPeer): void {
    this.watch(socket)
    this.rejected.get(socket)![reason]++
    this.#warnings.warn(this.#logKinds.get(socket)![reason], () => ({ socket, reason, peer: peer.address ?? 'unknown', key: peer.keyPrefix }), 'refused a peer')
  }
}
