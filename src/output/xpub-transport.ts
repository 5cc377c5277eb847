// An endpoint's XPUB socket: binding or connecting it, the subscriptions its peers hold,
// its peers, and what "full" means. Everything a subscriber can do to the socket is
// handled here; the outlet above only sees accepting, wants() and send().

import { setTimeout as delay } from 'node:timers/promises'
import type { XPublisher } from 'zeromq'
import type { EndpointConfig } from '../config/endpoint-spec.ts'
import { makeIpcDirectory } from '../config/zmq-address.ts'
import { ShipperError } from '../errors.ts'
import type { Logger, RateLimitedLog } from '../logger.ts'
import type { LogPath } from '../record/log-path.ts'
import type { SubscriptionRejectReason } from '../record/reasons.ts'
import { messageBytes, type ZeekMessage } from '../record/zeek-message.ts'
import type { TaskFailures } from '../task-failures.ts'
import { createEndpointSocket, zmqSendBytes, zmqSendHighWaterMark } from './endpoint-socket.ts'
import { IdleMessageBudget } from './idle-message-budget.ts'
import { PeerCount } from './peer-count.ts'
import { SendWindow } from './send-window.ts'
import { Subscriptions } from './subscriptions.ts'
import type { Transport, TransportState } from './transport.ts'

/** How long to wait after an unexpected error reading subscriptions before trying again. */
const ERROR_RETRY_MS = 1000
/** How long a reset may wait for ZeroMQ to release the address of the socket it replaces. */
const REBIND_TIMEOUT_MS = 10_000
const REBIND_RETRY_MS = 10
/**
 * How long the endpoint stays closed after dropping its connections: doubling while resets
 * follow each other within a minute, so that a peer that comes straight back with its
 * topics costs a reset a few times a minute, not a hundred times.
 */
const RESET_PAUSE_MS = { first: 250, max: 30_000, forgetAfter: 60_000 }

/** Sets a socket's security options before it binds or connects: owned by the shipper. */
export type SecureSocket = (socket: XPublisher) => void

export interface XpubTransportOptions {
  readonly config: EndpointConfig
  readonly logger: Logger
  readonly warnings: RateLimitedLog
  readonly failures: TaskFailures
  readonly secure?: SecureSocket
}

export class XpubTransport implements Transport {
  readonly #config: EndpointConfig
  readonly #logger: Logger
  readonly #warnings: RateLimitedLog
  readonly #failures: TaskFailures
  readonly #secure: SecureSocket | undefined
  readonly #sendWindow: SendWindow
  readonly #subscriptions: Subscriptions
  readonly #stopRetries = new AbortController()
  readonly #rejected: Record<SubscriptionRejectReason, number> = { topic_too_large: 0, too_many_subscriptions: 0, subscription_flood: 0 }
  readonly #idleMessages: IdleMessageBudget
  #socket: XPublisher
  #peers: PeerCount | undefined
  #boundAddress: string | undefined
  #open = false
  #closed = false
  #resetting = false
  #resets = 0
  #resetPauseMs = RESET_PAUSE_MS.first
  #lastReset = 0
  #onAccepting: () => void = () => {}
  #acceptingSignalled = false

  constructor({ config, logger, warnings, failures, secure }: XpubTransportOptions) {
    this.#config = config
    this.#logger = logger
    this.#warnings = warnings
    this.#failures = failures
    this.#secure = secure
    this.#subscriptions = new Subscriptions(config)
    this.#idleMessages = new IdleMessageBudget(config.maxSubscriptions)
    this.#sendWindow = new SendWindow(zmqSendBytes(config), zmqSendHighWaterMark(config), (hwm) => {
      // A socket replaced after a reset gets the mark in force when it is made.
      if (!this.#socket.closed) this.#socket.sendHighWaterMark = hwm
    })
    this.#socket = createEndpointSocket(config, this.#sendWindow.hwm)
  }

  get address(): string {
    return this.#boundAddress ?? this.#config.address
  }

  get isOpen(): boolean {
    return this.#open && !this.#closed
  }

  get accepting(): boolean {
    return !this.#closed && !this.#resetting && this.#subscriptions.any
  }

  get bufferRecords(): number {
    return this.#sendWindow.hwm
  }

  wants(path: LogPath): boolean {
    return this.#subscriptions.wants(path)
  }

  send(message: ZeekMessage): Promise<void> {
    this.#sendWindow.admit(messageBytes(message))
    return this.#socket.send(message)
  }

  sent(): void {
    this.#sendWindow.sent()
  }

  /** With noDrop, EAGAIN is ZeroMQ saying a subscriber's buffer is full: it will have room shortly. */
  isFull(err: unknown): boolean {
    return err instanceof Error && (err as { code?: unknown }).code === 'EAGAIN'
  }

  state(): TransportState {
    return {
      peers: this.#peers?.value(this.#subscriptions.any) ?? 0,
      topics: this.#subscriptions.size,
      topicComparisons: this.#subscriptions.comparisons,
      subscriptionsRejected: { ...this.#rejected },
      resets: this.#resets,
    }
  }

  async open(onAccepting: () => void, replacing = false): Promise<void> {
    this.#onAccepting = onAccepting
    // Watching the socket's events keeps Node.js running until the socket closes, so it
    // starts only here, before bind or connect (no event is missed), once the socket is in use.
    this.#peers = new PeerCount(this.#socket, this.#config.access !== undefined)
    try {
      this.#secure?.(this.#socket)
      if (this.#config.mode === 'bind') {
        await makeIpcDirectory(this.#config.address)
        if (replacing) await this.#attach(this.#socket, this.#config.address)
        else await this.#socket.bind(this.#config.address)
        this.#boundAddress = this.#socket.lastEndpoint ?? undefined
      } else {
        this.#socket.connect(this.#config.address)
      }
    } catch (cause) {
      const name = this.#config.name
      throw new ShipperError('ERR_BIND', `endpoint ${name}: cannot ${this.#config.mode} ${this.#config.address}: ${(cause as Error).message}`, {
        cause,
        endpoint: name,
      })
    }
    this.#open = true
    this.#failures.detach('subscriptions', this.#watchSubscriptions(this.#socket))
  }

  close(lingerMs: number): void {
    if (this.#closed) return
    this.#closed = true
    this.#stopRetries.abort()
    if (!this.#socket.closed) {
      this.#socket.linger = Math.max(0, Math.round(lingerMs))
      this.#socket.close()
    }
  }

  async #watchSubscriptions(socket: XPublisher): Promise<void> {
    while (!this.#closed && !socket.closed) {
      try {
        for await (const [frame] of socket) {
          if (frame === undefined) continue
          const change = this.#subscriptions.apply(frame)
          if (change === 'unchanged') {
            if (this.#idleMessages.spend(this.#peers?.value(this.#subscriptions.any) ?? 0)) continue
            this.#refuse('subscription_flood')
            return
          }
          if (change !== 'changed') {
            this.#refuse(change)
            if (change === 'too_many_subscriptions') return
            continue
          }
          this.#logger.debug({ subscribed: this.#subscriptions.any }, 'subscriptions changed')
          // A subscriber sends its topics one after another: start sending once all that
          // have arrived are applied, so that held records are judged against all of them.
          if (this.#subscriptions.any && !this.#acceptingSignalled) {
            this.#acceptingSignalled = true
            setImmediate(() => {
              this.#acceptingSignalled = false
              this.#onAccepting()
            })
          }
        }
      } catch (err) {
        if (this.#closed || socket !== this.#socket) return
        this.#logger.error({ err }, 'reading subscriptions failed; retrying')
        await delay(ERROR_RETRY_MS, undefined, { signal: this.#stopRetries.signal }).catch(() => {})
      }
    }
  }

  #refuse(reason: SubscriptionRejectReason): void {
    this.#rejected[reason]++
    const name = this.#config.name
    this.#warnings.warn(`subscription-${name}-${reason}`, () => ({ endpoint: name, reason }), 'subscription refused')
    if (reason !== 'topic_too_large') this.#failures.detach('reset', this.#reset(reason))
  }

  /**
   * Drops every connection of the endpoint, the one way ZeroMQ offers to be rid of a peer
   * that sends topics past the limit: an XPUB socket cannot refuse a topic (it has filed it
   * before the endpoint reads it) nor tell which peer sent it, and unbinding leaves the
   * connections it accepted open. So the socket is replaced by a new one on the same
   * address; subscribers reconnect and subscribe again on their own. Records ZeroMQ held
   * for them were counted as sent and are lost with the old socket.
   */
  async #reset(reason: SubscriptionRejectReason): Promise<void> {
    if (this.#resetting || this.#closed) return
    this.#resetting = true
    this.#resets++
    const now = Date.now()
    this.#resetPauseMs = now - this.#lastReset > RESET_PAUSE_MS.forgetAfter ? RESET_PAUSE_MS.first : Math.min(RESET_PAUSE_MS.max, this.#resetPauseMs * 2)
    this.#lastReset = now
    const address = this.address // for tcp://host:*, the port the OS picked, which subscribers know
    try {
      this.#socket.linger = 0
      this.#socket.close()
      this.#peers = undefined
      this.#subscriptions.clear()
      this.#idleMessages.clear()
      await delay(this.#resetPauseMs, undefined, { signal: this.#stopRetries.signal }).catch(() => {})
      if (this.#closed) return
      this.#socket = createEndpointSocket(this.#config, this.#sendWindow.hwm)
      this.#peers = new PeerCount(this.#socket, this.#config.access !== undefined)
      this.#secure?.(this.#socket)
      await this.#attach(this.#socket, address)
      if (this.#closed) return
      this.#logger.warn({ endpoint: this.#config.name, address, reason }, 'subscriptions past the limits: dropped every connection of the endpoint')
      this.#failures.detach('subscriptions', this.#watchSubscriptions(this.#socket))
    } catch (err) {
      this.#open = false // /readyz names it
      this.#logger.error({ err, endpoint: this.#config.name }, 'could not reopen the endpoint after dropping its connections')
    } finally {
      this.#resetting = false
    }
  }

  /** Binds (or connects) a replacement socket, once ZeroMQ has released the old one's tcp port. */
  async #attach(socket: XPublisher, address: string): Promise<void> {
    if (this.#config.mode === 'connect') return socket.connect(address)
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
}
