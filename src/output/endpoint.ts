// One endpoint: its queue, its XPUB socket and the loop that moves records from one to the
// other. Everything a slow, dead or absent subscriber can do stays inside this object: the
// input and the other endpoints never wait on it.

import { setTimeout as delay } from 'node:timers/promises'
import { XPublisher } from 'zeromq'
import type { EndpointConfig } from '../config/endpoint-spec.ts'
import { makeIpcDirectory } from '../config/zmq-address.ts'
import { ShipperError } from '../errors.ts'
import type { Logger, RateLimitedLog } from '../logger.ts'
import { EndpointQueue, type ZeekMessage } from '../queue/endpoint-queue.ts'
import { MAX_PATHS, type LogPath } from '../router/path-table.ts'
import { Subscriptions } from './subscriptions.ts'

/**
 * ZeroMQ's own send buffer per subscriber. Records in it count as sent, and ZeroMQ loses
 * them if that subscriber disconnects, so it stays small: the endpoint queue does the
 * holding. Large enough that a subscriber keeping up never makes us wait on ZeroMQ.
 */
export const ZMQ_SEND_HWM = 1000

/** How long to wait before retrying a send that ZeroMQ refused because a subscriber is full. */
const FULL_RETRY_MS = 2
/** How long to wait after an unexpected socket error before trying again. */
const ERROR_RETRY_MS = 1000

export interface EndpointCounters {
  sentBytes: number
  filtered: number
  droppedQueueFull: number
  droppedShutdown: number
  /** Records sent, by LogPath.id. */
  readonly sentByPath: Float64Array
}

export interface EndpointSummary {
  readonly endpoint: string
  readonly sent: number
  readonly dropped: number
  readonly left: number
  readonly filtered: number
}

export class Endpoint {
  readonly config: EndpointConfig
  readonly queue: EndpointQueue
  readonly counters: EndpointCounters = {
    sentBytes: 0,
    filtered: 0,
    droppedQueueFull: 0,
    droppedShutdown: 0,
    sentByPath: new Float64Array(MAX_PATHS),
  }

  readonly #socket: XPublisher
  readonly #subscriptions = new Subscriptions()
  readonly #logger: Logger
  readonly #warnings: RateLimitedLog
  readonly #stopRetries = new AbortController()
  #sending = false
  #open = false
  #closed = false
  #drainWaiters: Array<() => void> = []

  constructor(config: EndpointConfig, logger: Logger, warnings: RateLimitedLog) {
    this.config = config
    this.queue = new EndpointQueue(config.hwm)
    this.#logger = logger.child({ endpoint: config.name })
    this.#warnings = warnings
    // All socket options live here, set once from the endpoint's configuration.
    this.#socket = new XPublisher({
      // Refuse instead of silently dropping when a subscriber's buffer is full: the
      // endpoint queue then holds the record, and counts it if it has to drop it.
      noDrop: true,
      sendHighWaterMark: Math.min(config.hwm, ZMQ_SEND_HWM),
      // Connect mode: make no ZeroMQ pipe until the subscriber is really there, so that
      // records are held in our queue, not in a pipe to nobody, and a subscriber that goes
      // away takes its subscriptions with it.
      immediate: config.mode === 'connect',
      linger: config.lingerMs,
    })
    // Every subscribe and unsubscribe, so Subscriptions can count subscribers.
    this.#socket.verbosity = 'allSubsUnsubs'
  }

  get name(): string {
    return this.config.name
  }

  /** The address subscribers use: for tcp://host:* binds, the port the OS picked. */
  get address(): string {
    return this.config.mode === 'bind' ? (this.#socket.lastEndpoint ?? this.config.address) : this.config.address
  }

  get isOpen(): boolean {
    return this.#open && !this.#closed
  }

  get peers(): number {
    return this.#subscriptions.count
  }

  get sent(): number {
    return this.counters.sentByPath.reduce((sum, n) => sum + n, 0)
  }

  get dropped(): number {
    return this.counters.droppedQueueFull + this.counters.droppedShutdown
  }

  async open(): Promise<void> {
    try {
      if (this.config.mode === 'bind') {
        await makeIpcDirectory(this.config.address)
        await this.#socket.bind(this.config.address)
      } else {
        this.#socket.connect(this.config.address)
      }
    } catch (cause) {
      throw new ShipperError('ERR_BIND', `endpoint ${this.name}: cannot ${this.config.mode} ${this.config.address}: ${(cause as Error).message}`, {
        cause,
        endpoint: this.name,
      })
    }
    this.#open = true
    void this.#watchSubscriptions()
  }

  /** A record for this endpoint from the router: queue it, or count it dropped. */
  offer(message: ZeekMessage, path: LogPath): void {
    if (!this.queue.push(message, path)) {
      this.counters.droppedQueueFull++
      return
    }
    if (!this.#sending) void this.#pump()
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
   * Closes the socket. What is still queued is counted as dropped (reason shutdown);
   * ZeroMQ gets `lingerMs` to deliver what it already holds.
   */
  close(lingerMs: number): EndpointSummary {
    if (!this.#closed) {
      this.#closed = true
      this.#stopRetries.abort()
      this.counters.droppedShutdown += this.queue.clear()
      this.#socket.linger = Math.max(0, Math.round(lingerMs))
      this.#socket.close()
      this.#settleDrainWaiters()
    }
    return {
      endpoint: this.name,
      sent: this.sent,
      dropped: this.dropped,
      left: this.counters.droppedShutdown,
      filtered: this.counters.filtered,
    }
  }

  // One send in flight at a time: zeromq.js allows no more, and it keeps the order.
  async #pump(): Promise<void> {
    this.#sending = true
    try {
      while (!this.#closed && this.#subscriptions.count > 0) {
        const message = this.queue.peekMessage()
        const path = this.queue.peekPath()
        if (message === undefined || path === undefined) break
        if (!this.#subscriptions.wants(path.bytes)) {
          this.queue.shift()
          this.counters.filtered++
          continue
        }
        try {
          await this.#socket.send(message)
        } catch (err) {
          await this.#pauseAfter(err)
          continue
        }
        if (this.#closed) break // close() has already counted it among the dropped
        this.queue.shift()
        this.counters.sentByPath[path.id]!++
        this.counters.sentBytes += message[0]!.length + message[1]!.length
      }
    } finally {
      this.#sending = false
      if (this.queue.length === 0) this.#settleDrainWaiters()
    }
  }

  /** After a failed send: the record stays at the head of the queue, to be tried again. */
  async #pauseAfter(err: unknown): Promise<void> {
    if (this.#closed) return
    // EAGAIN: a subscriber's ZeroMQ buffer is full (noDrop); it will have room shortly.
    const full = (err as { code?: string }).code === 'EAGAIN'
    if (!full) this.#warnings.warn(`send-${this.name}`, { err, endpoint: this.name }, 'endpoint send failed; will retry')
    await delay(full ? FULL_RETRY_MS : ERROR_RETRY_MS, undefined, { signal: this.#stopRetries.signal }).catch(() => {})
  }

  async #watchSubscriptions(): Promise<void> {
    try {
      for await (const [frame] of this.#socket) {
        if (frame === undefined || !this.#subscriptions.apply(frame)) continue
        this.#logger.debug({ peers: this.#subscriptions.count }, 'subscriptions changed')
        if (!this.#sending && this.queue.length > 0) void this.#pump()
      }
    } catch (err) {
      if (!this.#closed) this.#logger.error({ err }, 'reading subscriptions failed')
    }
  }

  #settleDrainWaiters(): void {
    if (this.#drainWaiters.length === 0) return // the usual case, once per record: allocate nothing
    const waiters = this.#drainWaiters
    this.#drainWaiters = []
    for (const resolve of waiters) resolve()
  }
}
