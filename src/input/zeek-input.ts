// The input: a SUB socket bound where Zeek's writer plugin connects its PUB socket. It
// checks each message's framing and hands it to the router; it never waits on an endpoint,
// so Zeek is never slowed by a subscriber.

import { setImmediate as nextTurn, setTimeout as delay } from 'node:timers/promises'
import { Subscriber } from 'zeromq'
import { makeIpcDirectory } from '../config/zmq-address.ts'
import { ShipperError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { RejectReason } from '../record/reasons.ts'
import { MAX_PATH_BYTES, type ZeekMessage } from '../record/zeek-message.ts'
import type { TaskFailures } from '../task-failures.ts'
import type { InputStats } from './input-stats.ts'
const RECEIVE_RETRY_MS = 100
/** On shutdown, at most this many messages already inside ZeroMQ are still read and routed. */
const MAX_DRAIN_MESSAGES = 10_000
/** On shutdown, how long the input may receive nothing before it is taken to be empty. */
const DRAIN_GRACE_MS = 50

/** Why a message is not a [path, record] pair we can forward, or undefined when it is. */
export function checkFraming(message: ZeekMessage, maxRecordBytes: number): RejectReason | undefined {
  if (message.length !== 2) return 'frame_count'
  const pathBytes = message[0]!.length
  if (pathBytes === 0) return 'empty_path'
  if (pathBytes > MAX_PATH_BYTES) return 'path_too_long'
  const recordBytes = message[1]!.length
  if (recordBytes === 0) return 'empty_record'
  if (recordBytes > maxRecordBytes) return 'record_too_large'
  return undefined
}

const HANDSHAKE_FAILURES = ['handshake:error:protocol', 'handshake:error:auth', 'handshake:error:other'] as const

/**
 * Counts publisher connections that end. libzmq reports a frame over maxMessageSize only
 * by cutting the connection: a plain disconnect, exactly like a publisher that leaves, so
 * the two cannot be told apart here. A connection that fails the ZeroMQ handshake (a port
 * scan, another protocol) is reported as a handshake error and then its disconnect.
 */
function watchDisconnects(socket: Subscriber, stats: InputStats): void {
  let failedHandshakes = 0
  const events = socket.events
  for (const failure of HANDSHAKE_FAILURES) events.on(failure, () => failedHandshakes++)
  events.on('disconnect', () => {
    if (failedHandshakes > 0) {
      failedHandshakes--
      stats.disconnects.handshake_failed++
    } else {
      stats.disconnects.closed++
    }
  })
}

/** Sets the socket's security options for one address before it is bound: owned by the shipper. */
export type SecureBind = (socket: Subscriber, address: string, index: number) => void

/** Hands a well-framed message on (to the router); returns why its path was refused, if it was. */
export type Deliver = (message: ZeekMessage) => RejectReason | undefined

export interface InputOptions {
  readonly addresses: readonly string[]
  readonly maxRecordBytes: number
  readonly deliver: Deliver
  readonly stats: InputStats
  readonly failures: TaskFailures
  readonly logger: Logger
  readonly secure?: SecureBind
}

export class ZeekInput {
  readonly addresses: readonly string[]
  readonly #socket: Subscriber
  readonly #deliver: Deliver
  readonly #stats: InputStats
  readonly #failures: TaskFailures
  readonly #maxRecordBytes: number
  readonly #logger: Logger
  #boundAddresses: string[] = []
  #bound = false
  #stopping = false
  #closed = false
  /** Messages received, to see whether the receive loop still makes progress on shutdown. */
  #received = 0
  #done: Promise<void> = Promise.resolve()
  readonly #secure: SecureBind | undefined

  constructor({ addresses, maxRecordBytes, deliver, stats, failures, logger, secure }: InputOptions) {
    this.addresses = addresses
    this.#deliver = deliver
    this.#stats = stats
    this.#failures = failures
    this.#maxRecordBytes = maxRecordBytes
    this.#logger = logger.child({ component: 'input' })
    // ZeroMQ refuses a frame larger than this as its header arrives, and cuts the
    // publisher off: without it, a frame is read into memory whole, whatever size its
    // header announces, before checkFraming ever sees it.
    this.#socket = new Subscriber({ maxMessageSize: maxRecordBytes + MAX_PATH_BYTES })
    this.#secure = secure
    this.#socket.subscribe()
  }

  get isBound(): boolean {
    return this.#bound && !this.#closed
  }

  /** The addresses actually bound (for tcp://host:*, with the port the OS picked). */
  get boundAddresses(): string[] {
    return this.#boundAddresses
  }

  async bind(): Promise<void> {
    // Watching the socket's events keeps Node.js running until the socket closes: start
    // only once the socket is in use, before the first connection can come.
    watchDisconnects(this.#socket, this.#stats)
    for (const [index, address] of this.addresses.entries()) {
      try {
        this.#secure?.(this.#socket, address, index)
        await makeIpcDirectory(address)
        await this.#socket.bind(address)
      } catch (cause) {
        throw new ShipperError('ERR_BIND', `input: cannot bind ${address}: ${(cause as Error).message}`, { cause, address })
      }
      this.#boundAddresses.push(this.#socket.lastEndpoint ?? address)
    }
    this.#bound = true
    this.#done = this.#receiveLoop().catch((err: unknown) => this.#failures.caught('input', err))
  }

  /**
   * Stops reading. What ZeroMQ has already taken from Zeek (its receive buffer) is still
   * routed, so that it is counted and queued; what Zeek sends from now on stays with
   * Zeek's writer, within its own linger.
   */
  async close(): Promise<void> {
    this.#stopping = true
    // The receive loop ends by itself once ZeroMQ holds nothing more (see #receiveLoop).
    // It may instead be waiting for a message that never comes; asking the socket would
    // swallow the wake-up that zeromq.js waits for, so watch the loop's progress instead.
    for (;;) {
      const before = this.#received
      const timeout = new AbortController()
      const ended = await Promise.race([
        this.#done.then(() => true),
        delay(DRAIN_GRACE_MS, false, { signal: timeout.signal }).catch(() => false),
      ])
      timeout.abort()
      if (ended) break
      // Timers run before sockets are polled: if the event loop was held up, a wake-up for
      // the receive may be waiting. One more turn delivers it before the input is judged empty.
      await nextTurn()
      if (this.#received === before) break
    }
    this.#closeSocket()
    await this.#done
  }

  #closeSocket(): void {
    if (this.#closed) return
    this.#closed = true
    this.#socket.close()
  }

  /** Checks a message's framing and delivers it; whatever goes wrong, the next message is read. */
  #take(message: ZeekMessage): void {
    try {
      const problem = checkFraming(message, this.#maxRecordBytes) ?? this.#deliver(message)
      if (problem === undefined) this.#stats.bytes += message[0]!.length + message[1]!.length
      else this.#stats.reject(problem, message)
    } catch (err) {
      this.#failures.caught('route', err)
    }
  }

  async #receiveLoop(): Promise<void> {
    let drained = 0
    while (!this.#closed) {
      let message: ZeekMessage
      try {
        message = await this.#socket.receive()
        this.#received++
      } catch (err) {
        if (this.#closed) return
        this.#logger.error({ err }, 'receiving from the input failed')
        await delay(RECEIVE_RETRY_MS)
        continue
      }
      this.#take(message)
      // Only once stopping, and only here, with no receive waiting (see close()): asking
      // ZeroMQ per record would cost the hot path.
      if (this.#stopping && (++drained >= MAX_DRAIN_MESSAGES || !this.#socket.readable)) return
    }
  }
}
