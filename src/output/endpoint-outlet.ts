// One endpoint as the router sees it: its queue, and the loop that moves records from the
// queue to its transport, one send in flight. Everything a slow, dead or absent subscriber
// can do stays inside this object: the input and the other endpoints never wait on it.
//
// With a disk spool, every record goes through it (as through Vector's disk buffer): the
// spool is the endpoint's queue, bounded by spool_max instead of hwm, and the memory queue
// stays empty. So the order is the spool's, a record waiting for its subscriber survives a
// SIGKILL of the shipper, and nothing is left in memory at shutdown. A subscriber that
// keeps up costs a write and an acknowledgement per record; its records come back from the
// spool's copy of the newest records in memory, not from the disk.

import { setImmediate as nextTurn, setTimeout as delay } from 'node:timers/promises'
import type { EndpointConfig } from '../config/endpoint-spec.ts'
import type { RateLimitedLog } from '../logger.ts'
import type { EndpointQueue } from '../queue/endpoint-queue.ts'
import type { EndpointSummary } from '../record/endpoint-summary.ts'
import type { LogPath } from '../record/log-path.ts'
import type { Outlet } from '../record/outlet.ts'
import { DROP_REASONS, zeroCounts, type Counts, type DropReason } from '../record/reasons.ts'
import { MAX_PATH_BYTES, messageBytes, type ZeekMessage } from '../record/zeek-message.ts'
import { DiskSpool } from '../spool/disk-spool.ts'
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
  /** The reasons the outlet itself counts; the spool counts its own (see dropped()). */
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
  /** The path table's entry for a record read back from the spool (undefined: the table is full). */
  readonly lookupPath: (frame: Buffer) => LogPath | undefined
}

/** What the endpoint's spool holds and has done, all zero without one. */
export interface SpoolFigures {
  readonly records: number
  readonly bytes: number
  readonly capacityBytes: number
  /** Records the spool held when it was opened. */
  readonly recovered: number
  readonly truncated: number
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
  readonly #lookupPath: (frame: Buffer) => LogPath | undefined
  #spool: DiskSpool | undefined
  #recovered = 0
  #truncatedAtOpen = 0
  #sending = false
  #closed = false
  #drainWaiters: Array<() => void> = []

  constructor({ config, queue, transport, maxPaths, warnings, failures, lookupPath }: EndpointOutletOptions) {
    this.config = config
    this.#lookupPath = lookupPath
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

  /** Records dropped, by reason: the outlet's own counts and its spool's. */
  droppedCounts(): Counts<DropReason> {
    const stats = this.#spool?.stats()
    if (stats === undefined) return { ...this.counters.dropped }
    return {
      ...this.counters.dropped,
      spool_full: stats.droppedSpoolFull,
      // Damage found while running takes records this run counted as spooled; what
      // recovery cut at open belonged to the run before.
      spool_error: stats.droppedWriteFailed + stats.truncatedRecords - this.#truncatedAtOpen,
    }
  }

  get dropped(): number {
    const dropped = this.droppedCounts()
    return DROP_REASONS.reduce((sum, reason) => sum + dropped[reason], 0)
  }

  spoolFigures(): SpoolFigures {
    const stats = this.#spool?.stats()
    if (stats === undefined) return { records: 0, bytes: 0, capacityBytes: 0, recovered: 0, truncated: 0 }
    return { records: stats.records, bytes: stats.bytes, capacityBytes: stats.capacityBytes, recovered: this.#recovered, truncated: stats.truncatedRecords }
  }

  /** Times a send waited for a full subscriber: grows with how long it stayed full, not with records. */
  get fullPauses(): number {
    return this.#backoff.pauses
  }

  /**
   * Opens the endpoint's spool, if it has one, reading what an earlier run left in it:
   * before anything binds, since another process owning the directory stops the start.
   */
  async openSpool(): Promise<void> {
    const settings = this.config.spool
    if (settings === undefined || this.#spool !== undefined) return
    const spool = await DiskSpool.open(settings.dir, { maxBytes: settings.maxBytes, sync: settings.sync, maxFrameBytes: this.config.maxRecordBytes + MAX_PATH_BYTES })
    this.#spool = spool
    this.#recovered = spool.records
    this.#truncatedAtOpen = spool.stats().truncatedRecords
  }

  /** `replacing`: another endpoint on the same address was just closed (a reload). */
  open(replacing = false): Promise<void> {
    return this.transport.open(this.#kick, replacing)
  }

  offer(message: ZeekMessage, path: LogPath): void {
    const spool = this.#spool
    if (spool !== undefined) {
      // A record the spool cannot take, it counts itself (spool_full, spool_error).
      if (spool.append(message)) this.#startSending()
      return
    }
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

  /** Records waiting: in the queue, and in the spool. */
  get waiting(): number {
    return this.queue.length + (this.#spool?.records ?? 0)
  }

  /** Waits until everything queued (and spooled) is sent, or until `deadline` (epoch ms). */
  async drain(deadline: number): Promise<void> {
    if (this.waiting === 0) return
    const remaining = deadline - Date.now()
    if (remaining <= 0) return
    const drained = new Promise<void>((resolve) => this.#drainWaiters.push(resolve))
    const timeout = new AbortController()
    await Promise.race([drained, delay(remaining, undefined, { signal: timeout.signal }).catch(() => {})])
    timeout.abort()
  }

  /**
   * Closes the transport. What is still queued is counted as dropped (reason shutdown);
   * what is spooled stays on disk for the next start. The transport gets `lingerMs` to
   * deliver what it already holds.
   */
  async close(lingerMs: number): Promise<EndpointSummary> {
    if (!this.#closed) {
      this.#closed = true
      this.#stopRetries.abort()
      this.counters.dropped.shutdown += this.queue.clear()
      this.transport.close(lingerMs)
      this.#settleDrainWaiters()
      await this.#spool?.close()
    }
    const left = this.counters.dropped.shutdown
    const summary = { endpoint: this.name, sent: this.sent, dropped: this.dropped, left, filtered: this.counters.filtered }
    return this.#spool === undefined ? summary : { ...summary, spooled: this.#spool.records }
  }

  #startSending(): void {
    if (!this.#sending && !this.#closed && this.transport.accepting && this.waiting > 0) this.#failures.detach(`send-${this.name}`, this.#pump())
  }

  // One send in flight at a time: zeromq.js allows no more, and it keeps the order.
  async #pump(): Promise<void> {
    this.#sending = true
    let sends = 0
    const transport = this.transport
    try {
      while (!this.#closed && transport.accepting) {
        const spool = this.#spool
        let message: ZeekMessage | undefined
        let path: LogPath | undefined
        if (spool === undefined) {
          message = this.queue.peekMessage()
          path = this.queue.peekPath()
          if (message === undefined) break
        } else {
          message = await spool.peek()
          // Reading the spool may have let the last subscriber leave: then the record is held, not filtered.
          if (message === undefined || this.#closed || !transport.accepting) break
          path = this.#lookupPath(message[0]!)
        }
        // A record whose path the table cannot hold any more (after a restart) is sent to
        // every subscriber and counted among the sends of forgotten paths.
        if (path !== undefined && !transport.wants(path)) {
          this.#taken(spool)
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
        if (this.#closed) break // close() has already counted it among the dropped, or spooled it
        transport.sent(message)
        this.#taken(spool)
        this.#backoff.sent()
        if (path === undefined) this.counters.sentForgotten++
        else this.counters.sentByPath[path.id]!++
        this.counters.sentBytes += messageBytes(message)
        if (++sends % SENDS_PER_TURN === 0) await nextTurn() // let the input and HTTP run
      }
    } finally {
      this.#sending = false
      if (this.waiting === 0) this.#settleDrainWaiters()
    }
  }

  /** The record just sent or filtered leaves where it came from: the spool, or the queue. */
  #taken(spool: DiskSpool | undefined): void {
    if (spool === undefined) this.queue.shift()
    else spool.ack()
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
