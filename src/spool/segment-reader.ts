// Reads one segment's records in order, a chunk at a time, so that the memory a spool
// takes does not grow with its size on disk: at most one chunk (or one record, when a
// record is larger than a chunk) is held per reader. Each chunk is a fresh buffer, since
// the records handed out are views of it and may still be on their way to a subscriber.

import { read } from 'node:fs'
import { promisify } from 'node:util'
import type { ZeekMessage } from '../record/zeek-message.ts'
import { decodeRecord } from './spool-format.ts'

const readAt = promisify(read)

export const CHUNK_BYTES = 256 * 1024

export type ReadResult =
  | { readonly kind: 'record'; readonly message: ZeekMessage; readonly offset: number; readonly bytes: number }
  /** Every byte up to the segment's end has been read. */
  | { readonly kind: 'end' }
  /** The bytes at `offset` are not a valid record: torn, or changed on disk. */
  | { readonly kind: 'corrupt'; readonly offset: number }

export class SegmentReader {
  readonly #fd: number
  readonly #maxFrameBytes: number
  #chunk = Buffer.alloc(0)
  /** File offset of the chunk's first byte. */
  #chunkStart: number
  /** File offset of the next record. */
  #offset: number
  /** Where the segment's bytes end; grows while the writer appends to it. */
  end: number

  constructor(fd: number, offset: number, end: number, maxFrameBytes: number) {
    this.#fd = fd
    this.#chunkStart = offset
    this.#offset = offset
    this.end = end
    this.#maxFrameBytes = maxFrameBytes
  }

  /** File offset of the next record to be read. */
  get offset(): number {
    return this.#offset
  }

  /** Moves past a record taken from elsewhere (the tail cache); the next read starts after it. */
  skip(bytes: number): void {
    this.#offset += bytes
  }

  async next(): Promise<ReadResult> {
    for (;;) {
      const available = this.end - this.#offset
      if (available <= 0) return { kind: 'end' }
      const decoded = decodeRecord(this.#chunk, this.#offset - this.#chunkStart, available, this.#maxFrameBytes)
      if (decoded.kind === 'corrupt') return { kind: 'corrupt', offset: this.#offset }
      if (decoded.kind === 'record') {
        const offset = this.#offset
        this.#offset += decoded.bytes
        return { kind: 'record', message: decoded.message, offset, bytes: decoded.bytes }
      }
      await this.#fill(Math.min(available, Math.max(CHUNK_BYTES, decoded.need)))
    }
  }

  // Reads from the current record on (its first bytes may be read twice, which costs less
  // than copying them over from the old chunk in a loop of small records).
  async #fill(length: number): Promise<void> {
    const chunk = Buffer.allocUnsafe(length)
    let filled = 0
    while (filled < length) {
      const { bytesRead } = await readAt(this.#fd, chunk, filled, length - filled, this.#offset + filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    // A file shorter than the writer said (cut by someone else): what is missing is corrupt,
    // which decodeRecord reports once `end` says so.
    if (filled < length) this.end = this.#offset + filled
    this.#chunk = chunk.subarray(0, filled)
    this.#chunkStart = this.#offset
  }
}
