// Keeps the bytes ZeroMQ holds for an endpoint under a quarter of its hwm_bytes, although
// ZeroMQ counts its send buffer in messages only.
//
// With noDrop, ZeroMQ takes a message only while every subscriber's buffer is below the
// socket's send high-water mark, so what it holds is among the last `hwm` messages sent. So
// the mark is kept at that byte limit divided by the largest record among the recent sends (at
// least the last min(hwm, 1000)), and lowered before a larger record is handed over: a
// buffer already fuller than the new mark takes nothing until it has drained below it.
// Records of a few hundred bytes keep the full min(hwm, 1000); 1 MiB records get 16 with
// the default hwm_bytes of 64 MiB. ZeroMQ applies a new mark to connections already open.

export class SendWindow {
  readonly #limitBytes: number
  readonly #maxHwm: number
  readonly #apply: (hwm: number) => void
  #largest = 0
  #largestBefore = 0
  #sendsInRound = 0
  #hwm: number

  /** `apply` sets the socket's send high-water mark. */
  constructor(limitBytes: number, maxHwm: number, apply: (hwm: number) => void) {
    this.#limitBytes = limitBytes
    this.#maxHwm = maxHwm
    this.#apply = apply
    this.#hwm = maxHwm
  }

  /** The send high-water mark in force. */
  get hwm(): number {
    return this.#hwm
  }

  /** Before a record of `bytes` is handed to ZeroMQ. */
  admit(bytes: number): void {
    if (bytes <= this.#largest) return
    this.#largest = bytes
    this.#update()
  }

  /** After a record was handed to ZeroMQ. */
  sent(): void {
    if (++this.#sendsInRound < this.#maxHwm) return
    // Two rounds of maxHwm sends: the largest of both covers at least the last maxHwm.
    this.#largestBefore = this.#largest
    this.#largest = 0
    this.#sendsInRound = 0
    this.#update()
  }

  #update(): void {
    const largest = Math.max(this.#largest, this.#largestBefore)
    const hwm = largest === 0 ? this.#maxHwm : Math.max(1, Math.min(this.#maxHwm, Math.floor(this.#limitBytes / largest)))
    if (hwm === this.#hwm) return
    this.#hwm = hwm
    this.#apply(hwm)
  }
}
