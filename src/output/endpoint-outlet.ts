// One endpoint as the router sees it: its queue, and the loop that moves records from the
// queue to its transport, one send in flight. Everything a slow, dead or absent subscriber
// can do stays inside this object: the input and the other endpoints never wait on it.

import { setImmediate as nextTurn, setTimeout as delay } from 'node:timers/promises'
import type { EndpointConfig } from '../config/endpoint-spec.ts'
import type { RateLimitedLog } from '../logger.ts'
import type { EndpointQueue } from '../queue/endpoint-queue.ts'
import type { EndpointSummary } from '../record/endpoint-summary.ts'
import type { LogPath } from '../record/log-path.ts'
import type { Outlet } from '../record/outlet.ts'
import { DROP_REASONS, zeroCounts, type Counts, type DropReason } from '../record/reasons.ts'
import { messageBytes, type ZeekMessage } from '../record/zeek-message.ts'
import type { TaskFailures } from '../task-failures.ts'
import { FullBackoff } from './full-backoff.ts'
import type { Transport } from './transport.ts'

/** How long to wait after an unexpected send error before trying again. */
const ERROR_RETRY_MS = 1000
/** Sends resolve at once (sendTimeout 0), so the send loop yields to the event loop every so many records. */
const SENDS_PER_TURN = 256

export interface OutletCounters {
  sentBytes: number
  filtered: number
  readonly dropped: Counts<DropReason>
  /** Records sent, by LogPath.id. */
  readonly sentByPath: Float64Array
  /** Records sent of paths the path table has since forgotten (their ids are reused). */
  sentForgotten: number
}

export interface EndpointOutletOptions {
  readonly config: EndpointConfig
  readonly queue: EndpointQueue
  readonly transport: Transport
  /** How many paths the path table holds at once (the range of LogPath.id). */
  readonly maxPaths: number
  readonly warnings: RateLimitedLog
  readonly failures: TaskFailures
}

export class EndpointOutlet implements Outlet {
  readonly config: EndpointConfig
  readonly queue: EndpointQueue
  readonly transport: Transport
  readonly counters: OutletCounters
  readonly #backoff = new FullBackoff()
  readonly #warnings: RateLimitedLog
  readonly #failures: TaskFailures
  readonly #stopRetries = new AbortController()
  readonly #kick = (): void => this.#startSending()
  #sending = false
  #closed = false
  #drainWaiters: Array<() => void> = []

  constructor({ config, queue, transport, maxPaths, warnings, failures }: EndpointOutletOptions) {
    this.config = config
    this.queue = queue
    this.transport = transport
    this.#warnings = warnings
    this.#failures = failures
    this.counters = { sentBytes: 0, filtered: 0, dropped: zeroCounts(DROP_REASONS), sentByPath: new Float64Array(maxPaths), sentForgotten: 0 }
  }

  get name(): string {
    return this.config.name
  }

  get sent(): number {
    return this.counters.sentByPath.reduce((sum, n) => sum + n, this.counters.sentForgotten)
  }

  get dropped(): number {
    const dropped = this.counters.dropped
    return DROP_REASONS.reduce((sum, reason) => sum + dropped[reason], 0)
  }

  /** Times a send waited for a full subscriber: grows with how long it stayed full, not with records. */
  get fullPauses(): number {
    return this.#backoff.pauses
  }

  /** `replacing`: another endpoint on the same address was just closed (a reload). */
  open(replacing = false): Promise<void> {
    return this.transport.open(this.#kick, replacing)
  }

  offer(message: ZeekMessage, path: LogPath): void {
    const refused = this.queue.push(message, path)
    if (refused === undefined) this.#startSending()
    else this.counters.dropped[refused]++
  }

  refuse(): void {
    this.counters.filtered++
  }

  forget(path: LogPath): void {
    this.counters.sentForgotten += this.counters.sentByPath[path.id]!
    this.counters.sentByPath[path.id] = 0
  }

  /** Waits until everything queued is sent, or until `deadline` (epoch ms). */
  async drain(deadline: number): Promise<void> {
    if (this.queue.length === 0) return
    const remaining = deadline - Date.now()
    if (remaining <= 0) return
    const drained = new Promise<void>((resolve) => this.#drainWaiters.push(resolve))
    const timeout = new AbortController()
    await Promise.race([drained, delay(remaining, undefined, { signal: timeout.signal }).catch(() => {})])
    timeout.abort()
  }

  /**
   * Closes the transport. What is still queued is counted as dropped (reason shutdown);
   * the transport gets `lingerMs` to deliver what it already holds.
   */
  close(lingerMs: number): EndpointSummary {
    if (!this.#closed) {
      this.#closed = true
      this.#stopRetries.abort()
      this.counters.dropped.shutdown += this.queue.clear()
      this.transport.close(lingerMs)
      this.#settleDrainWaiters()
    }
    return { endpoint: this.name, sent: this.sent, dropped: this.dropped, left: this.counters.dropped.shutdown, filtered: this.counters.filtered }
  }

  #startSending(): void {
    if (!this.#sending && !this.#closed && this.transport.accepting && this.queue.length > 0) this.#failures.detach(`send-${this.name}`, this.#pump())
  }

  // One send in flight at a time: zeromq.js allows no more, and it keeps the order.
  async #pump(): Promise<void> {
    this.#sending = true
    let sends = 0
    const transport = this.transport
    try {
      while (!this.#closed && transport.accepting) {
        const message = this.queue.peekMessage()
        const path = this.queue.peekPath()
        if (message === undefined || path === undefined) break
        if (!transport.wants(path)) {
          this.queue.shift()
          this.counters.filtered++
          if (++sends % SENDS_PER_TURN === 0) await nextTurn()
          continue
        }
        try {
          await transport.send(message)
        } catch (err) {
          // The record stays at the head of the queue, to be tried again.
          if (transport.isFull(err)) await this.#pause(this.#backoff.pause(transport.bufferRecords))
          else await this.#pauseAfterError(err)
          continue
        }
        if (this.#closed) break // close() has already counted it among the dropped
        transport.sent(message)
        this.queue.shift()
        this.#backoff.sent()
        this.counters.sentByPath[path.id]!++
        this.counters.sentBytes += messageBytes(message)
        if (++sends % SENDS_PER_TURN === 0) await nextTurn() // let the input and HTTP run
      }
    } finally {
      this.#sending = false
      if (this.queue.length === 0) this.#settleDrainWaiters()
    }
  }

  async #pauseAfterError(err: unknown): Promise<void> {
    if (this.#closed) return
    this.#warnings.warn(`send-${this.name}`, () => ({ err, endpoint: this.name }), 'endpoint send failed; will retry')
    await this.#pause(ERROR_RETRY_MS)
  }

  async #pause(ms: number): Promise<void> {
    await delay(ms, undefined, { signal: this.#stopRetries.signal }).catch(() => {})
  }

  #settleDrainWaiters(): void {
    if (this.#drainWaiters.length === 0) return // the usual case, once per record: allocate nothing
    const waiters = this.#drainWaiters
    this.#drainWaiters = []
    for (const resolve of waiters) resolve()
  }
}
