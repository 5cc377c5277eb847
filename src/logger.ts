// Structured JSON logs on standard output (pino), and a guard for log lines that bad input
// could otherwise repeat millions of times.

import { pino, type Logger } from 'pino'

export type { Logger }

export function createLogger(level: string): Logger {
  // Synchronous writes: the last lines before exit (the shutdown summary) must not be lost.
  return pino({ level, base: { service: 'zeek-zmq-shipper', pid: process.pid } }, pino.destination({ dest: 1, sync: true }))
}

/**
 * Logs the first occurrence of each kind of event, then at most one line per interval
 * carrying how many were suppressed in between. Counting stays exact in the metrics.
 */
export class RateLimitedLog {
  readonly #logger: Logger
  readonly #intervalMs: number
  readonly #last = new Map<string, { at: number; suppressed: number }>()

  constructor(logger: Logger, intervalMs = 10_000) {
    this.#logger = logger
    this.#intervalMs = intervalMs
  }

  /** `fields` is called only when the line is really logged: a flood of events costs no allocation. */
  warn(kind: string, fields: () => Record<string, unknown>, msg: string): void {
    const now = Date.now()
    const last = this.#last.get(kind)
    if (last !== undefined && now - last.at < this.#intervalMs) {
      last.suppressed++
      return
    }
    this.#logger.warn({ ...fields(), suppressed: last?.suppressed ?? 0 }, msg)
    this.#last.set(kind, { at: now, suppressed: 0 })
  }
}
