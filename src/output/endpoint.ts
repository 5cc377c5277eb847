// One endpoint: its queue, its XPUB socket and the loop that moves records from one to the
// other. Everything a slow, dead or absent subscriber can do stays inside this object: the
// input and the other endpoints never wait on it.

import { setImmediate as nextTurn, setTimeout as delay } from 'node:timers/promises'
import type { XPublisher } from 'zeromq'
import type { EndpointConfig } from '../config/endpoint-spec.ts'
import { makeIpcDirectory } from '../config/zmq-address.ts'
import { ShipperError } from '../errors.ts'
import type { Logger, RateLimitedLog } from '../logger.ts'
import { EndpointQueue, type ZeekMessage } from '../queue/endpoint-queue.ts'
import { MAX_PATHS, type LogPath } from '../router/path-table.ts'
import { createEndpointSocket } from './endpoint-socket.ts'
import { PeerCount } from './peer-count.ts'
import { Subscriptions } from './subscriptions.ts'

/**
 * Retrying a send that ZeroMQ refused because a subscriber's buffer is full: the first
 * retry soon, then backing off, so that a stalled subscriber costs next to no CPU.
 */
const FULL_RETRY_MS = { first: 1, max: 50 }
/** How long to wait after an unexpected socket error before trying again. */
const ERROR_RETRY_MS = 1000
/** Sends resolve at once (sendTimeout 0), so the send loop yields to the event loop every so many records. */
const SENDS_PER_TURN = 256

export interface EndpointCounters {
  sentBytes: number
  filtered: number
  droppedQueueFull: number
  droppedShutdown: number
  /** Records sent, by LogPath.id. */
  readonly sentByPath: Float64Array
}

/** Sets a socket's security options before it binds or connects: owned by the shipper. */
export type SecureSocket = (socket: XPublisher) => void

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
  #peers: PeerCount | undefined
  readonly #logger: Logger
  readonly #warnings: RateLimitedLog
  readonly #stopRetries = new AbortController()
  #sending = false
  #fullRetryMs = FULL_RETRY_MS.first
  #open = false
  #closed = false
  #drainWaiters: Array<() => void> = []
  readonly #secure: SecureSocket | undefined

  constructor(config: EndpointConfig, logger: Logger, warnings: RateLimitedLog, secure?: SecureSocket) {
    this.config = config
    this.queue = new EndpointQueue(config.hwm)
    this.#logger = logger.child({ endpoint: config.name })
    this.#warnings = warnings
    this.#socket = createEndpointSocket(config)
    this.#secure = secure
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

  /** Connected subscribers. */
  get peers(): number {
    return this.#peers?.value ?? 0
  }

  get sent(): number {
    return this.counters.sentByPath.reduce((sum, n) => sum + n, 0)
  }

  get dropped(): number {
    return this.counters.droppedQueueFull + this.counters.droppedShutdown
  }

  async open(): Promise<void> {
    // Watching the socket's events keeps Node.js running until the socket closes, so it
    // starts only here, before bind or connect (no event is missed), once the socket is in use.
    this.#peers = new PeerCount(this.#socket)
    try {
      this.#secure?.(this.#socket)
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
    this.#kick()
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
    let sends = 0
    try {
      while (!this.#closed && this.#subscriptions.any) {
        const message = this.queue.peekMessage()
        const path = this.queue.peekPath()
        if (message === undefined || path === undefined) break
        if (!this.#subscriptions.wants(path.bytes)) {
          this.queue.shift()
          this.counters.filtered++
          if (++sends % SENDS_PER_TURN === 0) await nextTurn()
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
        this.#fullRetryMs = FULL_RETRY_MS.first
        if (++sends % SENDS_PER_TURN === 0) await nextTurn() // let the input and HTTP run
      }
    } finally {
      this.#sending = false
      if (this.queue.length === 0) this.#settleDrainWaiters()
    }
  }

  /** After a failed send: the record stays at the head of the queue, to be tried again. */
  async #pauseAfter(err: unknown): Promise<void> {
    if (this.#closed) return
    let pauseMs = ERROR_RETRY_MS
    if ((err as { code?: string }).code === 'EAGAIN') {
      // A subscriber's ZeroMQ buffer is full (noDrop): it will have room shortly.
      pauseMs = this.#fullRetryMs
      this.#fullRetryMs = Math.min(FULL_RETRY_MS.max, this.#fullRetryMs * 2)
    } else {
      this.#warnings.warn(`send-${this.name}`, () => ({ err, endpoint: this.name }), 'endpoint send failed; will retry')
    }
    await delay(pauseMs, undefined, { signal: this.#stopRetries.signal }).catch(() => {})
  }

  async #watchSubscriptions(): Promise<void> {
    while (!this.#closed && !this.#socket.closed) {
      try {
        for await (const [frame] of this.#socket) {
          if (frame === undefined || !this.#subscriptions.apply(frame)) continue
          this.#logger.debug({ subscribed: this.#subscriptions.any }, 'subscriptions changed')
          // A subscriber sends its topics one after another: start sending once all that
          // have arrived are applied, so that held records are judged against all of them.
          if (!this.#sending && this.queue.length > 0) setImmediate(() => this.#kick())
        }
      } catch (err) {
        if (this.#closed) return
        this.#logger.error({ err }, 'reading subscriptions failed; retrying')
        await delay(ERROR_RETRY_MS, undefined, { signal: this.#stopRetries.signal }).catch(() => {})
      }
    }
  }

  #kick(): void {
    if (!this.#sending && !this.#closed && this.#subscriptions.any) void this.#pump()
  }

  #settleDrainWaiters(): void {
    if (this.#drainWaiters.length === 0) return // the usual case, once per record: allocate nothing
    const waiters = this.#drainWaiters
    this.#drainWaiters = []
    for (const resolve of waiters) resolve()
  }
}
