// What the input accepted and rejected. Plain numbers on the hot path; prom-client reads
// them only when /metrics is scraped.

import type { RateLimitedLog } from '../logger.ts'
import { DISCONNECT_REASONS, REJECT_REASONS, zeroCounts, type Counts, type DisconnectReason, type RejectReason } from '../record/reasons.ts'

// Built once: a flood of bad input should not build a string per message.
const REJECT_LOG_KINDS = Object.fromEntries(REJECT_REASONS.map((reason) => [reason, `reject-${reason}`])) as Record<RejectReason, string>

export class InputStats {
  /** Bytes of accepted messages, both frames. */
  bytes = 0
  readonly rejected: Counts<RejectReason> = zeroCounts(REJECT_REASONS)
  /** Publisher connections that ended, by reason. */
  readonly disconnects: Counts<DisconnectReason> = zeroCounts(DISCONNECT_REASONS)
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
