// The bytes of a spool on disk. Two kinds of file live in an endpoint's spool directory:
//
//   segment files  NNNNNNNNNNNNNNNNNNNN.seg   append-only, numbered in the order written
//     header  20 bytes  "ZZSPOOL" 0x01 | first record's sequence number (u64) | CRC32 of the 16 bytes before
//     record  12 bytes  CRC32 | path length (u32) | record length (u32), then the path and record frames
//             the CRC covers everything after itself: both lengths and both frames
//   ledger         two 32-byte slots, written in turn (see spool-ledger.ts)
//
// All integers are little-endian. A record is valid only when its whole length is in the
// file and its CRC matches: a write torn by a crash or power loss, or bytes changed on
// disk, end the segment's valid part there. The sequence numbers in the segment headers
// let recovery count how many records a damaged segment lost.

import { crc32 } from 'node:zlib'
import type { ZeekMessage } from '../record/zeek-message.ts'

export const SEGMENT_MAGIC = Buffer.from('ZZSPOOL\x01', 'latin1')
export const SEGMENT_HEADER_BYTES = 20
export const RECORD_HEADER_BYTES = 12
const SEGMENT_SUFFIX = '.seg'
const SEGMENT_NAME = /^(\d{20})\.seg$/

export function segmentFileName(id: number): string {
  return `${String(id).padStart(20, '0')}${SEGMENT_SUFFIX}`
}

/** The segment number of a file name, or undefined for any other file. */
export function segmentIdOf(name: string): number | undefined {
  const match = SEGMENT_NAME.exec(name)
  if (match === null) return undefined
  const id = Number(match[1])
  return Number.isSafeInteger(id) ? id : undefined
}

export function encodeSegmentHeader(firstSeq: number): Buffer {
  const header = Buffer.alloc(SEGMENT_HEADER_BYTES)
  SEGMENT_MAGIC.copy(header, 0)
  header.writeBigUInt64LE(BigInt(firstSeq), 8)
  header.writeUInt32LE(crc32(header.subarray(0, 16)), 16)
  return header
}

/** The first sequence number a segment header names, or undefined when the header is not one. */
export function decodeSegmentHeader(header: Buffer): number | undefined {
  if (header.length < SEGMENT_HEADER_BYTES || !header.subarray(0, 8).equals(SEGMENT_MAGIC)) return undefined
  if (header.readUInt32LE(16) !== crc32(header.subarray(0, 16))) return undefined
  const seq = header.readBigUInt64LE(8)
  return seq <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seq) : undefined
}

/** Bytes a message takes in a segment. */
export function recordBytes(message: ZeekMessage): number {
  return RECORD_HEADER_BYTES + message[0]!.length + message[1]!.length
}

/**
 * The record header for a message; written with writev together with the frames, so that
 * appending copies no record bytes.
 */
export function encodeRecordHeader(message: ZeekMessage): Buffer {
  const [path, record] = message as [Buffer, Buffer]
  const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES)
  header.writeUInt32LE(path.length, 4)
  header.writeUInt32LE(record.length, 8)
  header.writeUInt32LE(crc32(record, crc32(path, crc32(header.subarray(4)))), 0)
  return header
}

export type Decoded =
  | { readonly kind: 'record'; readonly message: ZeekMessage; readonly bytes: number }
  /** Not all of the record is in `bytes` yet: read at least `need` bytes from its start. */
  | { readonly kind: 'short'; readonly need: number }
  | { readonly kind: 'corrupt' }

/**
 * Decodes the record at `offset` of `chunk`. `maxFrameBytes` bounds each length field, so
 * that a damaged length never makes a reader allocate or wait for gigabytes; `available`
 * is how many bytes the file holds from this record on (more than 0), so a torn tail is told
 * apart from a record that merely does not fit in the chunk. The frames returned are views
 * of `chunk`.
 */
export function decodeRecord(chunk: Buffer, offset: number, available: number, maxFrameBytes: number): Decoded {
  if (available < RECORD_HEADER_BYTES) return { kind: 'corrupt' }
  if (chunk.length - offset < RECORD_HEADER_BYTES) return { kind: 'short', need: RECORD_HEADER_BYTES }
  const pathLength = chunk.readUInt32LE(offset + 4)
  const recordLength = chunk.readUInt32LE(offset + 8)
  if (pathLength === 0 || recordLength === 0 || pathLength > maxFrameBytes || recordLength > maxFrameBytes) return { kind: 'corrupt' }
  const bytes = RECORD_HEADER_BYTES + pathLength + recordLength
  if (bytes > available) return { kind: 'corrupt' }
  if (chunk.length - offset < bytes) return { kind: 'short', need: bytes }
  const lengths = chunk.subarray(offset + 4, offset + RECORD_HEADER_BYTES)
  const path = chunk.subarray(offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + pathLength)
  const record = chunk.subarray(offset + RECORD_HEADER_BYTES + pathLength, offset + bytes)
  if (chunk.readUInt32LE(offset) !== crc32(record, crc32(path, crc32(lengths)))) return { kind: 'corrupt' }
  return { kind: 'record', message: [path, record], bytes }
}
