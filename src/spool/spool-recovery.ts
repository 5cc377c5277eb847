// Reopening a spool: every segment is read once, a chunk at a time, and checked record by
// record. A segment's valid part ends at its first record that is torn or whose CRC does
// not match; the file is cut there (so the damage is counted once, not at every start).
// Segments the ledger says were fully acknowledged, and segments left with no record,
// are deleted. Reading everything once costs a start-up proportional to the spool's size
// (see the README for the measured rate) and buys exact record counts and the certainty
// that what is replayed was not damaged while the shipper was down.

import { closeSync, fstatSync, ftruncateSync, openSync, readdirSync, readSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { decodeSegmentHeader, SEGMENT_HEADER_BYTES, segmentFileName, segmentIdOf } from './spool-format.ts'
import type { ReaderPosition } from './spool-ledger.ts'
import { SegmentReader } from './segment-reader.ts'

/** A segment as the spool tracks it; nothing per record. */
export interface Segment {
  readonly id: number
  /** Sequence number of its first record. */
  readonly firstSeq: number
  /** Valid records in the file. */
  records: number
  /** Of those, acknowledged (they come first). */
  acked: number
  /** Bytes in the file. */
  size: number
  /** Offset of the oldest unacknowledged record. */
  readOffset: number
}

export interface Recovered {
  readonly segments: Segment[]
  /** Records lost to torn or damaged bytes: exact where a later segment's first sequence number tells, else at least 1 per damage. */
  readonly truncatedRecords: number
  readonly truncatedBytes: number
  readonly nextSegmentId: number
  readonly nextSeq: number
}

interface Scanned {
  readonly segment: Segment | undefined
  readonly truncatedBytes: number
  /** Shorter than a header: the writer stopped while creating it, before any record. */
  readonly unfinished?: boolean
}

async function scanSegment(path: string, id: number, position: ReaderPosition | undefined, maxFrameBytes: number): Promise<Scanned> {
  const fd = openSync(path, 'r+')
  try {
    const size = fstatSync(fd).size
    const header = Buffer.alloc(SEGMENT_HEADER_BYTES)
    const firstSeq = readSync(fd, header, 0, SEGMENT_HEADER_BYTES, 0) === SEGMENT_HEADER_BYTES ? decodeSegmentHeader(header) : undefined
    if (firstSeq === undefined) return { segment: undefined, truncatedBytes: size, unfinished: size < SEGMENT_HEADER_BYTES }
    const ackedTo = position?.segmentId === id ? position.offset : SEGMENT_HEADER_BYTES
    const segment: Segment = { id, firstSeq, records: 0, acked: 0, size: SEGMENT_HEADER_BYTES, readOffset: SEGMENT_HEADER_BYTES }
    const reader = new SegmentReader(fd, SEGMENT_HEADER_BYTES, size, maxFrameBytes)
    for (let read = await reader.next(); read.kind === 'record'; read = await reader.next()) {
      segment.records++
      segment.size = read.offset + read.bytes
      if (segment.size <= ackedTo) {
        segment.acked++
        segment.readOffset = segment.size
      }
    }
    if (segment.size < size) ftruncateSync(fd, segment.size)
    return { segment, truncatedBytes: size - segment.size }
  } finally {
    closeSync(fd)
  }
}

/** Recovers the segments of `dir`, given the reader's position from the ledger. */
export async function recoverSegments(dir: string, position: ReaderPosition | undefined, maxFrameBytes: number): Promise<Recovered> {
  const ids = readdirSync(dir)
    .map(segmentIdOf)
    .filter((id) => id !== undefined)
    .sort((a, b) => a - b)
  const segments: Segment[] = []
  let truncatedRecords = 0
  let truncatedBytes = 0
  // The last segment kept, and whether damage followed it that a later header may size.
  let previous: Segment | undefined
  let damaged = false

  for (const [index, id] of ids.entries()) {
    const path = join(dir, segmentFileName(id))
    if (position !== undefined && id < position.segmentId) {
      unlinkSync(path) // acknowledged to the end before the last stop; its deletion was cut short
      continue
    }
    const scanned = await scanSegment(path, id, position, maxFrameBytes)
    truncatedBytes += scanned.truncatedBytes
    const segment = scanned.segment
    if (segment === undefined) {
      unlinkSync(path)
      // Only the newest file can be unfinished; an older short file lost what it held.
      damaged ||= !(scanned.unfinished === true && index === ids.length - 1)
      continue
    }
    if (damaged) truncatedRecords += previous === undefined ? 1 : Math.max(1, segment.firstSeq - (previous.firstSeq + previous.records))
    damaged = scanned.truncatedBytes > 0
    previous = segment
    if (segment.records === segment.acked) unlinkSync(path)
    else segments.push(segment)
  }
  if (damaged) truncatedRecords += 1

  const lastId = ids.at(-1) ?? -1
  return {
    segments,
    truncatedRecords,
    truncatedBytes,
    nextSegmentId: Math.max(lastId + 1, position?.segmentId ?? 0),
    nextSeq: previous === undefined ? 0 : previous.firstSeq + previous.records,
  }
}
