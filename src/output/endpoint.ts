// One endpoint: its queue, its XPUB socket and the loop that moves records from one to the
// other. Everything a slow, dead or absent subscriber can do stays inside this object: the
// input and the other endpoints never wait on it.

import { setImmediate as nextTurn, setTimeout as delay } from 'node:timers/promises'
import type { XPublisher } from 'zeromq'
import type { EndpointConfig } from '../config/endpoint-spec.ts'
import { makeIpcDirectory } from '../config/zmq-address.ts'
import { ShipperError } from '../errors.ts'
import type { Logger, RateLimitedLog } from '../logger.ts'
import { EndpointQueue, messageBytes, type ZeekMessage } from '../queue/endpoint-queue.ts'
import type { MemoryBudget } from '../queue/memory-budget.ts'
import type { LogPath } from '../router/path-table.ts'
import { createEndpointSocket, zmqSendBytes, zmqSendHighWaterMark } from './endpoint-socket.ts'
import { PeerCount } from './peer-count.ts'
import { SendWindow } from './send-window.ts'
import { Subscriptions, type SubscriptionRejectReason } from './subscriptions.ts'

/**
 * Retrying a send that ZeroMQ refused because a subscriber's buffer is full: the first
 * retry soon, then backing off, so that a stalled subscriber costs next to no CPU.
 */
const FULL_RETRY_MS = { first: 1, max: 50 }
/** How long to wait after an unexpected socket error before trying again. */
const ERROR_RETRY_MS = 1000
/** Sends resolve at once (sendTimeout 0), so the send loop yields to the event loop every so many records. */
const SENDS_PER_TURN = 256
/** How long a reset may wait for ZeroMQ to release the address of the socket it replaces. */
const REBIND_TIMEOUT_MS = 10_000
const REBIND_RETRY_MS = 10
/**
 * How long the endpoint stays closed after dropping its connections: doubling while resets
 * follow each other within a minute, so that a peer that comes straight back with its
 * topics costs a reset a few times a minute, not a hundred times.
 */
const RESET_PAUSE_MS = { first: 250, max: 30_000, forgetAfter: 60_000 }

export interface EndpointCounters {
  sentBytes: number
  filtered: number
  droppedQueueFull: number
  droppedMemoryLimit: number
  droppedShutdown: number
  /** Records sent, by LogPath.id. */
  readonly sentByPath: Float64Array
  /** Records sent of paths the path table has since forgotten (their ids are reused). */
  sentForgotten: number
  /** Subscriptions refused, by reason. */
  readonly subscriptionsRejected: Record<SubscriptionRejectReason, number>
  /** Times the endpoint dropped all its connections to be rid of a peer over the subscription limit. */
  resets: number
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
  readonly counters: EndpointCounters

  #socket: XPublisher
  readonly #sendWindow: SendWindow
  readonly #subscriptions: Subscriptions
  #peers: PeerCount | undefined
  #resetting = false
  #boundAddress: string | undefined
  #resetPauseMs = RESET_PAUSE_MS.first
  #lastReset = 0
  readonly #logger: Logger
  readonly #warnings: RateLimitedLog
  readonly #stopRetries = new AbortController()
  #sending = false
  #fullRetryMs = FULL_RETRY_MS.first
  #open = false
  #closed = false
  #drainWaiters: Array<() => void> = []
  readonly #secure: SecureSocket | undefined

  /** `maxPaths`: how many paths the path table holds at once (the range of LogPath.id). */
  constructor(config: EndpointConfig, logger: Logger, warnings: RateLimitedLog, maxPaths: number, budget: MemoryBudget, secure?: SecureSocket) {
    this.config = config
    this.counters = {
      sentBytes: 0,
      filtered: 0,
      droppedQueueFull: 0,
      droppedMemoryLimit: 0,
      droppedShutdown: 0,
      sentByPath: new Float64Array(maxPaths),
      sentForgotten: 0,
      subscriptionsRejected: { topic_too_large: 0, too_many_subscriptions: 0 },
      resets: 0,
    }
    this.queue = new EndpointQueue(config.hwm, config.hwmBytes, budget)
    this.#subscriptions = new Subscriptions(config)
    this.#logger = logger.child({ endpoint: config.name })
    this.#warnings = warnings
    this.#sendWindow = new SendWindow(zmqSendBytes(config), zmqSendHighWaterMark(config), (hwm) => {
      // A socket replaced after a reset gets the mark in force when it is made.
      if (!this.#socket.closed) this.#socket.sendHighWaterMark = hwm
    })
    this.#socket = createEndpointSocket(config, this.#sendWindow.hwm)
    this.#secure = secure
  }

  get name(): string {
    return this.config.name
  }

  /** The address subscribers use: for tcp://host:* binds, the port the OS picked. */
  get address(): string {
    return this.#boundAddress ?? this.config.address
  }

  get isOpen(): boolean {
    return this.#open && !this.#closed
  }

  /** Connected peers (subscribers, and connections still in their handshake). */
  get peers(): number {
    return this.#peers?.value(this.#subscriptions.any) ?? 0
  }

  /** Distinct topics the endpoint's subscribers hold. */
  get topics(): number {
    return this.#subscriptions.size
  }

  /** Topics compared with paths so far: grows with subscription changes and paths, not with records. */
  get topicComparisons(): number {
    return this.#subscriptions.comparisons
  }

  get sent(): number {
    return this.counters.sentByPath.reduce((sum, n) => sum + n, this.counters.sentForgotten)
  }

  get dropped(): number {
    return this.counters.droppedQueueFull + this.counters.droppedMemoryLimit + this.counters.droppedShutdown
  }

  async open(): Promise<void> {
    // Watching the socket's events keeps Node.js running until the socket closes, so it
    // starts only here, before bind or connect (no event is missed), once the socket is in use.
    this.#peers = new PeerCount(this.#socket, this.config.access !== undefined)
    try {
      this.#secure?.(this.#socket)
      if (this.config.mode === 'bind') {
        await makeIpcDirectory(this.config.address)
        await this.#socket.bind(this.config.address)
        this.#boundAddress = this.#socket.lastEndpoint ?? undefined
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
    void this.#watchSubscriptions(this.#socket)
  }

  /** A record for this endpoint from the router: queue it, or count it dropped. */
  offer(message: ZeekMessage, path: LogPath): void {
    const refused = this.queue.push(message, path)
    if (refused === 'queue_full') this.counters.droppedQueueFull++
    else if (refused === 'memory_limit') this.counters.droppedMemoryLimit++
    else this.#kick()
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
      if (!this.#socket.closed) {
        this.#socket.linger = Math.max(0, Math.round(lingerMs))
        this.#socket.close()
      }
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
      while (!this.#closed && !this.#resetting && this.#subscriptions.any) {
        const message = this.queue.peekMessage()
        const path = this.queue.peekPath()
        if (message === undefined || path === undefined) break
        if (!this.#subscriptions.wants(path)) {
          this.queue.shift()
          this.counters.filtered++
          if (++sends % SENDS_PER_TURN === 0) await nextTurn()
          continue
        }
        const bytes = messageBytes(message)
        this.#sendWindow.admit(bytes)
        try {
          await this.#socket.send(message)
        } catch (err) {
          await this.#pauseAfter(err)
          continue
        }
        if (this.#closed) break // close() has already counted it among the dropped
        this.queue.shift()
        this.#sendWindow.sent()
        this.counters.sentByPath[path.id]!++
        this.counters.sentBytes += bytes
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

  async #watchSubscriptions(socket: XPublisher): Promise<void> {
    while (!this.#closed && !socket.closed) {
      try {
        for await (const [frame] of socket) {
          if (frame === undefined) continue
          const change = this.#subscriptions.apply(frame)
          if (change === 'unchanged') continue
          if (change !== 'changed') {
            this.#refuse(change)
            if (change === 'too_many_subscriptions') return
            continue
          }
          this.#logger.debug({ subscribed: this.#subscriptions.any }, 'subscriptions changed')
          // A subscriber sends its topics one after another: start sending once all that
          // have arrived are applied, so that held records are judged against all of them.
          if (!this.#sending && this.queue.length > 0) setImmediate(() => this.#kick())
        }
      } catch (err) {
        if (this.#closed || socket !== this.#socket) return
        this.#logger.error({ err }, 'reading subscriptions failed; retrying')
        await delay(ERROR_RETRY_MS, undefined, { signal: this.#stopRetries.signal }).catch(() => {})
      }
    }
  }

  #refuse(reason: SubscriptionRejectReason): void {
    this.counters.subscriptionsRejected[reason]++
    this.#warnings.warn(`subscription-${this.name}-${reason}`, () => ({ endpoint: this.name, reason }), 'subscription refused')
    if (reason === 'too_many_subscriptions') void this.#reset()
  }

  /**
   * Drops every connection of the endpoint, the one way ZeroMQ offers to be rid of a peer
   * that sends topics past the limit: an XPUB socket cannot refuse a topic (it has filed it
   * before the endpoint reads it) nor tell which peer sent it, and unbinding leaves the
   * connections it accepted open. So the socket is replaced by a new one on the same
   * address; subscribers reconnect and subscribe again on their own. Records ZeroMQ held
   * for them were counted as sent and are lost with the old socket.
   */
  async #reset(): Promise<void> {
    if (this.#resetting || this.#closed) return
    this.#resetting = true
    this.counters.resets++
    const now = Date.now()
    this.#resetPauseMs = now - this.#lastReset > RESET_PAUSE_MS.forgetAfter ? RESET_PAUSE_MS.first : Math.min(RESET_PAUSE_MS.max, this.#resetPauseMs * 2)
    this.#lastReset = now
    const address = this.address // for tcp://host:*, the port the OS picked, which subscribers know
    try {
      this.#socket.linger = 0
      this.#socket.close()
      this.#peers = undefined
      this.#subscriptions.clear()
      await delay(this.#resetPauseMs, undefined, { signal: this.#stopRetries.signal }).catch(() => {})
      if (this.#closed) return
      this.#socket = createEndpointSocket(this.config, this.#sendWindow.hwm)
      this.#peers = new PeerCount(this.#socket, this.config.access !== undefined)
      this.#secure?.(this.#socket)
      await this.#attach(this.#socket, address)
      if (this.#closed) return
      this.#logger.warn({ endpoint: this.name, address }, 'too many subscriptions: dropped every connection of the endpoint')
      void this.#watchSubscriptions(this.#socket)
    } catch (err) {
      this.#open = false // /readyz names it
      this.#logger.error({ err, endpoint: this.name }, 'could not reopen the endpoint after dropping its connections')
    } finally {
      this.#resetting = false
    }
  }

  /** Binds (or connects) a replacement socket, once ZeroMQ has released the old one's tcp port. */
  async #attach(socket: XPublisher, address: string): Promise<void> {
    if (this.config.mode === 'connect') return socket.connect(address)
    const deadline = Date.now() + REBIND_TIMEOUT_MS
    for (;;) {
      try {
        return await socket.bind(address)
      } catch (err) {
        if (this.#closed || (err as { code?: string }).code !== 'EADDRINUSE' || Date.now() > deadline) throw err
      }
      await delay(REBIND_RETRY_MS, undefined, { signal: this.#stopRetries.signal }).catch(() => {})
    }
  }

  #kick(): void {
    if (!this.#sending && !this.#closed && !this.#resetting && this.#subscriptions.any) void this.#pump()
  }

  #settleDrainWaiters(): void {
    if (this.#drainWaiters.length === 0) return // the usual case, once per record: allocate nothing
    const waiters = this.#drainWaiters
    this.#drainWaiters = []
    for (const resolve of waiters) resolve()
  }
}
