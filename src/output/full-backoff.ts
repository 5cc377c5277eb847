// How long an endpoint waits before retrying a record that ZeroMQ refused because a
// subscriber's buffer was full. ZeroMQ frees room in a subscriber's buffer in chunks (it
// learns what the subscriber read every half buffer or so), so retrying within a
// millisecond mostly fails again: each failure costs an Error from zeromq.js and a timer.
// The pause adapts to the subscriber instead: it doubles while a pause lets through less
// than a quarter of the buffer, and halves when it lets through more, so a steadily slow
// subscriber costs a few retries a second, not a thousand, and a fast one waits little.

const PAUSE_MS = { first: 1, max: 50 }

export class FullBackoff {
  #pauseMs = PAUSE_MS.first
  #sentSincePause = Number.POSITIVE_INFINITY
  /** Pauses so far, for the snapshot: a steadily slow subscriber must not make this grow per record. */
  pauses = 0

  /** A record was taken. */
  sent(): void {
    this.#sentSincePause++
  }

  /** A record was refused: how long to wait, given the records the transport buffers per subscriber. */
  pause(bufferRecords: number): number {
    if (this.#sentSincePause < bufferRecords / 4) this.#pauseMs = Math.min(PAUSE_MS.max, this.#pauseMs * 2)
    else this.#pauseMs = Math.max(PAUSE_MS.first, this.#pauseMs / 2)
    this.#sentSincePause = 0
    this.pauses++
    return this.#pauseMs
  }
}
