// What the input accepted and rejected. Plain numbers on the hot path; prom-client reads
// them only when /metrics is scraped.

import type { RateLimitedLog } from '../logger.ts'

export const REJECT_REASONS = [
  'frame_count', // not exactly two frames [path, record]
  'empty_path',
  'path_too_long', // more than MAX_PATH_BYTES
  'path_invalid', // a byte outside [A-Za-z0-9_.-]
  'too_many_paths', // more distinct paths than PathTable keeps
  'empty_record',
  'record_too_large', // more than ZEEK_ZMQ_MAX_RECORD_BYTES
] as const

export type RejectReason = (typeof REJECT_REASONS)[number]

export const DISCONNECT_REASONS = [
  'handshake_failed', // never a ZeroMQ publisher: ZeroMQ's handshake failed
  'closed', // after the handshake: the publisher left, or ZeroMQ cut it off for breaking the protocol (a frame over the limit)
] as const

export type DisconnectReason = (typeof DISCONNECT_REASONS)[number]

// Built once: a flood of bad input should not build a string per message.
const REJECT_LOG_KINDS = Object.fromEntries(REJECT_REASONS.map((reason) => [reason, `reject-${reason}`])) as Record<RejectReason, string>

export class InputStats {
  /** Bytes of accepted messages, both frames. */
  bytes = 0
  readonly rejected: Record<RejectReason, number> = Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>
  /** Publisher connections that ended, by reason. */
  readonly disconnects: Record<DisconnectReason, number> = { handshake_failed: 0, closed: 0 }
  readonly #warnings: RateLimitedLog

  constructor(warnings: RateLimitedLog) {
    this.#warnings = warnings
  }

  /** Counts a malformed message; it is skipped and never forwarded. */
  reject(reason: RejectReason, frames: Buffer[]): void {
    this.rejected[reason]++
    this.#warnings.warn(
      REJECT_LOG_KINDS[reason],
      () => ({ reason, frames: frames.length, frameBytes: frames.slice(0, 4).map((f) => f.length), path: frames[0]?.subarray(0, 64).toString('latin1') }),
      'rejected a malformed input message',
    )
  }
}
