// A bounded disk spool for one endpoint: records that do not fit in memory go to
// append-only segment files in the endpoint's own directory and come back out in the order
// they went in, across restarts. Modelled on Vector's disk buffer (a ledger and checksummed
// records in numbered data files) and Fluent Bit's filesystem storage (a total size limit
// per output, the oldest data dropped first).
//
//   open(dir, options)   takes the directory (lock), recovers it, and returns the spool
//   append(message)      writes one record (one writev; the event loop never waits on an fsync)
//   peek()               the oldest unacknowledged record, the same one until ack()
//   ack()                the peeked record was sent: it leaves the spool for good
//
// Guarantees: a record append() accepted survives SIGKILL (it is in the page cache when
// append returns); after a restart the spool resends from the oldest unacknowledged record,
// so at most the one record peeked but not acknowledged at the kill is sent twice. Power
// loss loses what the sync policy had not yet synced (see spool-sync.ts).

import { closeSync, ftruncateSync, mkdirSync, openSync, realpathSync, unlinkSync, writevSync } from 'node:fs'
import { join } from 'node:path'
import { ShipperError } from '../errors.ts'
import type { SpoolSync } from '../record/spool-sync-policy.ts'
import type { ZeekMessage } from '../record/zeek-message.ts'
import { encodeRecordHeader, encodeSegmentHeader, recordBytes, SEGMENT_HEADER_BYTES, segmentFileName } from './spool-format.ts'
import { SpoolLedger, type ReaderPosition } from './spool-ledger.ts'
import { SpoolLock } from './spool-lock.ts'
import { recoverSegments, type Segment } from './spool-recovery.ts'
import { SpoolSyncer } from './spool-sync.ts'
import { SegmentReader } from './segment-reader.ts'
import { TailCache } from './tail-cache.ts'

export interface SpoolOptions {
  /** The most bytes the segment files may hold together (spool_max). */
  readonly maxBytes: number
  readonly sync: SpoolSync
  readonly syncIntervalMs?: number
  /** A segment is closed and a new one begun past this many bytes; default maxBytes / 8, from 64 KiB to 64 MiB. */
  readonly segmentBytes?: number
  /** Longest frame a record may have: bounds what a damaged length field can make a reader take. */
  readonly maxFrameBytes?: number
  /** Bytes of the newest records kept in memory for a reader that has caught up with the writer; default 1 MiB. */
  readonly tailCacheBytes?: number
}

/** What the metrics read at scrape time. */
export interface SpoolStats {
  readonly records: number
  readonly bytes: number
  readonly capacityBytes: number
  /** Records discarded with the oldest segment to make room, or too large for the spool at all (reason spool_full). */
  readonly droppedSpoolFull: number
  /** Records append() could not write (disk full, I/O error); nothing of them is left in the spool. */
  readonly droppedWriteFailed: number
  /** Records lost to torn or damaged bytes found on reopening or reading (at least 1 per damaged place). */
  readonly truncatedRecords: number
  readonly truncatedBytes: number
  /** Rounds of fsyncs done since open (each covers every file changed before it began). */
  readonly syncs: number
  readonly syncFailures: number
}

const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024
const DEFAULT_TAIL_CACHE_BYTES = 1024 * 1024

function defaultSegmentBytes(maxBytes: number): number {
  return Math.min(64 * 1024 * 1024, Math.max(64 * 1024, Math.floor(maxBytes / 8)))
}

interface Peeked {
  readonly message: ZeekMessage
  /** Its segment, or undefined once that was discarded to make room (the record itself is still owed its send). */
  segment: Segment | undefined
  /** Offset just past it in its segment. */
  readonly end: number
}

export class DiskSpool {
  readonly dir: string
  readonly capacityBytes: number
  readonly #segmentBytes: number
  readonly #maxFrameBytes: number
  readonly #lock: SpoolLock
  readonly #ledger: SpoolLedger
  readonly #dirFd: number
  readonly #syncer: SpoolSyncer
  /** Oldest first; the reader works on the first, the writer appends to the last while #writeFd is open. */
  readonly #segments: Segment[]
  #nextSegmentId: number
  #nextSeq: number
  #writeFd: number | undefined
  #writeDirty = false
  #dirDirty = false
  readonly #retired: number[] = []
  readonly #tail: TailCache<Segment>
  #reader: SegmentReader | undefined
  #readerFd: number | undefined
  #readerSegment: Segment | undefined
  #peeked: Peeked | undefined
  #peeking: Promise<ZeekMessage | undefined> | undefined
  #records = 0
  #bytes = 0
  #closed = false
  droppedSpoolFull = 0
  droppedWriteFailed = 0
  truncatedRecords: number
  truncatedBytes: number

  private constructor(dir: string, options: SpoolOptions, parts: { lock: SpoolLock; ledger: SpoolLedger; dirFd: number; recovered: Awaited<ReturnType<typeof recoverSegments>> }) {
    this.dir = dir
    this.capacityBytes = options.maxBytes
    this.#segmentBytes = options.segmentBytes ?? defaultSegmentBytes(options.maxBytes)
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    this.#tail = new TailCache(options.tailCacheBytes ?? DEFAULT_TAIL_CACHE_BYTES)
    this.#lock = parts.lock
    this.#ledger = parts.ledger
    this.#dirFd = parts.dirFd
    const { segments, nextSegmentId, nextSeq, truncatedRecords, truncatedBytes } = parts.recovered
    this.#segments = segments
    this.#nextSegmentId = nextSegmentId
    this.#nextSeq = nextSeq
    this.truncatedRecords = truncatedRecords
    this.truncatedBytes = truncatedBytes
    for (const segment of segments) {
      this.#records += segment.records - segment.acked
      this.#bytes += segment.size
    }
    this.#syncer = new SpoolSyncer(options.sync, options.syncIntervalMs ?? 1000, {
      takeDirty: () => this.#takeDirty(),
      takeRetired: () => this.#retired.splice(0),
    })
    this.#ledger.write(this.#headPosition())
  }

  /**
   * Opens the spool in `dir` (created if missing), recovering what a previous run left:
   * throws ERR_SPOOL when another owner holds the directory or the file system refuses.
   */
  static async open(dir: string, options: SpoolOptions): Promise<DiskSpool> {
    let real: string
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      real = realpathSync(dir)
    } catch (err) {
      throw new ShipperError('ERR_SPOOL', `cannot create the spool directory ${dir}: ${(err as Error).message}`, { dir, cause: err })
    }
    const lock = SpoolLock.acquire(real)
    const opened: number[] = []
    try {
      const { ledger, position } = SpoolLedger.open(real)
      opened.push(ledger.fd)
      const dirFd = openSync(real, 'r')
      opened.push(dirFd)
      const recovered = await recoverSegments(real, position, options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES)
      return new DiskSpool(real, options, { lock, ledger, dirFd, recovered })
    } catch (err) {
      for (const fd of opened) closeSync(fd)
      lock.release()
      throw new ShipperError('ERR_SPOOL', `cannot open the spool in ${dir}: ${(err as Error).message}`, { dir, cause: err })
    }
  }

  get records(): number {
    return this.#records
  }

  /** Bytes of the segment files on disk (acknowledged records count until their segment is deleted). */
  get bytes(): number {
    return this.#bytes
  }

  get syncPolicy(): SpoolSync {
    return this.#syncer.policy
  }

  stats(): SpoolStats {
    return {
      records: this.#records,
      bytes: this.#bytes,
      capacityBytes: this.capacityBytes,
      droppedSpoolFull: this.droppedSpoolFull,
      droppedWriteFailed: this.droppedWriteFailed,
      truncatedRecords: this.truncatedRecords,
      truncatedBytes: this.truncatedBytes,
      syncs: this.#syncer.rounds,
      syncFailures: this.#syncer.failures,
    }
  }

  /**
   * Appends a record behind every record in the spool. Returns false when it was not
   * spooled: larger than the whole spool (counted in droppedSpoolFull) or not written
   * (droppedWriteFailed). To make room it discards the oldest segment, counting its
   * unsent records in droppedSpoolFull.
   */
  append(message: ZeekMessage): boolean {
    if (this.#closed) throw new Error('append on a closed spool')
    const [path, record] = message as [Buffer, Buffer]
    if (path.length > this.#maxFrameBytes || record.length > this.#maxFrameBytes) throw new RangeError(`a frame is larger than the spool's maxFrameBytes (${this.#maxFrameBytes})`)
    const size = recordBytes(message)
    if (size + SEGMENT_HEADER_BYTES > this.capacityBytes) {
      this.droppedSpoolFull++
      return false
    }
    const writing = this.#writeSegment()
    if (writing !== undefined && writing.size > SEGMENT_HEADER_BYTES && writing.size + size > this.#segmentBytes) this.#closeWriter()
    while (this.#bytes + size + (this.#writeFd === undefined ? SEGMENT_HEADER_BYTES : 0) > this.capacityBytes) this.#discardOldest()
    const segment = this.#writeSegment() ?? this.#startSegment()
    if (segment === undefined) return this.#writeFailed()

    let written = 0
    try {
      written = writevSync(this.#writeFd!, [encodeRecordHeader(message), path, record], segment.size)
    } catch {
      // Nothing is known of what reached the file: cut it back below.
    }
    if (written !== size) {
      // A partial record would end the segment's valid part at the next reopen, and every
      // later record with it: cut it off, and start a new segment if even that fails.
      try {
        ftruncateSync(this.#writeFd!, segment.size)
      } catch {
        this.#closeWriter()
      }
      return this.#writeFailed()
    }
    this.#tail.push({ segment, offset: segment.size, bytes: size, message })
    segment.size += size
    segment.records++
    this.#bytes += size
    this.#records++
    this.#nextSeq++
    this.#writeDirty = true
    this.#syncer.changed()
    return true
  }

  /**
   * The oldest record not yet acknowledged, or undefined when the spool holds none. Until
   * ack(), every call returns the same record, so a failed send is retried with it.
   */
  peek(): Promise<ZeekMessage | undefined> {
    if (this.#peeked !== undefined) return Promise.resolve(this.#peeked.message)
    this.#peeking ??= this.#readNext().finally(() => (this.#peeking = undefined))
    return this.#peeking
  }

  /** The peeked record was sent: it will not be sent again, not even after a restart. */
  ack(): void {
    const peeked = this.#peeked
    if (peeked === undefined) throw new Error('ack without a peeked record')
    this.#peeked = undefined
    this.#records--
    const segment = peeked.segment
    if (segment === undefined) return // its segment was discarded meanwhile; the ledger is past it
    segment.acked++
    segment.readOffset = peeked.end
    if (segment.acked === segment.records && segment !== this.#writeSegment()) this.#removeHead()
    else this.#ledger.write({ segmentId: segment.id, offset: segment.readOffset })
    this.#syncer.changed()
  }

  /** Syncs what the policy asks for, closes the files and gives up the directory. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#peeking?.catch(() => undefined)
    this.#closeReader()
    this.#closeWriter()
    await this.#syncer.close()
    this.#ledger.close()
    closeSync(this.#dirFd)
    this.#lock.release()
  }

  async #readNext(): Promise<ZeekMessage | undefined> {
    for (;;) {
      const head = this.#segments[0]
      if (head === undefined || this.#closed) return undefined
      if (this.#readerSegment !== head) this.#openReader(head)
      const reader = this.#reader!
      const cached = this.#tail.take(head, reader.offset, (segment) => this.#segments.includes(segment))
      if (cached !== undefined) {
        reader.skip(cached.bytes)
        this.#peeked = { message: cached.message, segment: head, end: cached.offset + cached.bytes }
        return cached.message
      }
      reader.end = head.size
      const read = await reader.next()
      if (this.#readerSegment !== head) continue // discarded to make room while the read was under way
      if (read.kind === 'record') {
        this.#peeked = { message: read.message, segment: head, end: read.offset + read.bytes }
        return read.message
      }
      if (read.kind === 'end' && head === this.#writeSegment()) return undefined
      if (head.acked < head.records) {
        // Damaged (or cut short) since it was written or recovered: the rest of the segment is lost.
        const lost = head.records - head.acked
        this.truncatedRecords += lost
        this.truncatedBytes += head.size - reader.offset
        this.#records -= lost
        head.records = head.acked
        // Nothing more may go behind the damage; closing the writer may remove the head itself.
        if (head === this.#writeSegment()) this.#closeWriter()
      }
      if (this.#segments[0] === head) this.#removeHead()
    }
  }

  #writeSegment(): Segment | undefined {
    return this.#writeFd === undefined ? undefined : this.#segments.at(-1)
  }

  #startSegment(): Segment | undefined {
    const id = this.#nextSegmentId++
    const segment: Segment = { id, firstSeq: this.#nextSeq, records: 0, acked: 0, size: SEGMENT_HEADER_BYTES, readOffset: SEGMENT_HEADER_BYTES }
    const path = join(this.dir, segmentFileName(id))
    try {
      const fd = openSync(path, 'wx', 0o600)
      try {
        writevSync(fd, [encodeSegmentHeader(segment.firstSeq)], 0)
      } catch (err) {
        closeSync(fd)
        unlinkSync(path)
        throw err
      }
      this.#writeFd = fd
    } catch {
      return undefined
    }
    this.#segments.push(segment)
    this.#bytes += SEGMENT_HEADER_BYTES
    this.#dirDirty = true
    return segment
  }

  #closeWriter(): void {
    const fd = this.#writeFd
    if (fd === undefined) return
    const segment = this.#writeSegment()!
    this.#writeFd = undefined
    this.#writeDirty = false
    this.#syncer.retire(fd, this.#retired)
    // A segment the reader has finished with only waited for the writer to move on.
    if (segment === this.#segments[0] && segment.acked === segment.records && this.#peeked?.segment !== segment) this.#removeHead()
  }

  #writeFailed(): false {
    this.droppedWriteFailed++
    return false
  }

  /** Makes room: the oldest segment goes, with every record of it not yet sent. */
  #discardOldest(): void {
    const head = this.#segments[0]!
    if (head === this.#writeSegment()) this.#closeWriter()
    if (this.#segments[0] !== head) return // #closeWriter removed it: it held nothing unsent
    const inFlight = this.#peeked?.segment === head ? 1 : 0
    const lost = head.records - head.acked - inFlight
    this.droppedSpoolFull += lost
    this.#records -= lost
    if (inFlight === 1) this.#peeked!.segment = undefined // still owed its send; ack() only counts it out
    this.#removeHead()
  }

  /** Deletes the oldest segment; the ledger moves to the next first, so a crash in between only leaves a file to delete. */
  #removeHead(): void {
    const head = this.#segments.shift()!
    this.#bytes -= head.size
    if (this.#readerSegment === head) this.#closeReader()
    this.#ledger.write(this.#headPosition())
    try {
      unlinkSync(join(this.dir, segmentFileName(head.id)))
    } catch {
      // Gone already, or not removable: the next open deletes it, as the ledger is past it.
    }
    this.#dirDirty = true
  }

  #headPosition(): ReaderPosition {
    const head = this.#segments[0]
    return head === undefined ? { segmentId: this.#nextSegmentId, offset: SEGMENT_HEADER_BYTES } : { segmentId: head.id, offset: head.readOffset }
  }

  #openReader(segment: Segment): void {
    this.#closeReader()
    this.#readerFd = openSync(join(this.dir, segmentFileName(segment.id)), 'r')
    this.#reader = new SegmentReader(this.#readerFd, segment.readOffset, segment.size, this.#maxFrameBytes)
    this.#readerSegment = segment
  }

  // A read may be under way on the reader's descriptor: closing it then could let the
  // number be reused by another file before the read runs, so the read's own turn closes it.
  #closeReader(): void {
    const fd = this.#readerFd
    this.#reader = undefined
    this.#readerFd = undefined
    this.#readerSegment = undefined
    if (fd === undefined) return
    if (this.#peeking === undefined) closeSync(fd)
    else void this.#peeking.finally(() => closeSync(fd)).catch(() => undefined)
  }

  #takeDirty(): number[] {
    const fds: number[] = []
    if (this.#writeDirty && this.#writeFd !== undefined) fds.push(this.#writeFd)
    if (this.#ledger.dirty) fds.push(this.#ledger.fd)
    if (this.#dirDirty) fds.push(this.#dirFd)
    this.#writeDirty = false
    this.#ledger.dirty = false
    this.#dirDirty = false
    return fds
  }
}
