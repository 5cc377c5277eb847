// How far the reader got: the segment and byte offset of the oldest record not yet
// acknowledged. Written at every acknowledgement, so that a restart after SIGKILL resends
// at most the records that were read but not acknowledged.
//
// Two 32-byte slots, written in turn, each with a generation number and a CRC:
//   CRC32 of the 28 bytes after it | version (u32) | generation (u64) | segment id (u64) | offset (u64)
// A write torn by power loss spoils at most the slot being written; the other still holds
// the position before it, and the reader resends from there. Both slots lie in the file's
// first 64 bytes, one disk sector, and each write is one pwrite of 32 bytes: no rename or
// temporary file per acknowledgement.

import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'

const SLOT_BYTES = 32
const VERSION = 1
export const LEDGER_FILE = 'ledger'

export interface ReaderPosition {
  readonly segmentId: number
  /** Byte offset in the segment of the oldest unacknowledged record. */
  readonly offset: number
}

function decodeSlot(slot: Buffer): { generation: number; position: ReaderPosition } | undefined {
  if (slot.length < SLOT_BYTES || slot.readUInt32LE(0) !== crc32(slot.subarray(4, SLOT_BYTES))) return undefined
  if (slot.readUInt32LE(4) !== VERSION) return undefined
  const [generation, segmentId, offset] = [8, 16, 24].map((at) => Number(slot.readBigUInt64LE(at))) as [number, number, number]
  if (![generation, segmentId, offset].every(Number.isSafeInteger)) return undefined
  return { generation, position: { segmentId, offset } }
}

export class SpoolLedger {
  readonly fd: number
  #generation: number
  readonly #slot = Buffer.alloc(SLOT_BYTES)
  /** Written since the last fsync. */
  dirty = false

  private constructor(fd: number, generation: number) {
    this.fd = fd
    this.#generation = generation
  }

  /** Opens (or creates) the ledger of a spool directory and reads the newest valid position. */
  static open(dir: string): { ledger: SpoolLedger; position: ReaderPosition | undefined } {
    // Not 'a+': writes to a file opened for appending ignore their position on Linux.
    const path = join(dir, LEDGER_FILE)
    let fd: number
    try {
      fd = openSync(path, 'r+')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      fd = openSync(path, 'w+', 0o600)
    }
    return SpoolLedger.#read(fd)
  }

  static #read(fd: number): { ledger: SpoolLedger; position: ReaderPosition | undefined } {
    const bytes = Buffer.alloc(2 * SLOT_BYTES)
    const size = Math.min(fstatSync(fd).size, bytes.length)
    if (size > 0) readSync(fd, bytes, 0, size, 0)
    const slots = [decodeSlot(bytes.subarray(0, SLOT_BYTES)), decodeSlot(bytes.subarray(SLOT_BYTES))]
    const newest = slots.reduce((a, b) => (b !== undefined && (a === undefined || b.generation > a.generation) ? b : a), undefined)
    return { ledger: new SpoolLedger(fd, newest?.generation ?? 0), position: newest?.position }
  }

  write(position: ReaderPosition): void {
    const generation = ++this.#generation
    const slot = this.#slot
    slot.writeUInt32LE(VERSION, 4)
    slot.writeBigUInt64LE(BigInt(generation), 8)
    slot.writeBigUInt64LE(BigInt(position.segmentId), 16)
    slot.writeBigUInt64LE(BigInt(position.offset), 24)
    slot.writeUInt32LE(crc32(slot.subarray(4)), 0)
    writeSync(this.fd, slot, 0, SLOT_BYTES, (generation % 2) * SLOT_BYTES)
    this.dirty = true
  }

  close(): void {
    closeSync(this.fd)
  }
}
