// Random and mutated input messages for fuzzing the shipper's input, from a seeded PRNG so
// that a failing run can be replayed, and the verdict the shipper must reach on each: an
// independent model of the input's rules (framing, path bytes, the path limit).

import { zeekMessage } from '../helpers/zeek-records.ts'

/** Marsaglia's xorshift32: small, fast, and the same sequence for the same seed everywhere. */
export function randomSource(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9
  return () => {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    return state / 0x1_0000_0000
  }
}

export class Dice {
  readonly #next: () => number

  constructor(seed: number) {
    this.#next = randomSource(seed)
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.#next() * (max - min + 1))
  }

  chance(p: number): boolean {
    return this.#next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!
  }

  bytes(length: number): Buffer {
    const bytes = Buffer.allocUnsafe(length)
    for (let i = 0; i < length; i++) bytes[i] = this.int(0, 255)
    return bytes
  }

  /** Frame sizes from 0 to 2 MiB, mostly small: 90% up to 1 KiB, 9.9% up to 64 KiB, 0.1% up to 2 MiB. */
  size(): number {
    const r = this.#next()
    if (r < 0.9) return this.int(0, 1024)
    if (r < 0.999) return this.int(0, 64 * 1024)
    return this.int(0, 2 * 1024 * 1024)
  }
}

const ZEEK_PATHS = ['conn', 'dns', 'http', 'ssl', 'files', 'x509', 'weird', 'notice', 'dns-2', 'conn_long', 'known_hosts', 'software.log']
const VALID = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-'

/** Paths a confused or hostile publisher may send: UTF-8 edge cases, control bytes, separators. */
const EDGE_PATHS: readonly Buffer[] = [
  Buffer.from('conn\u0000'),
  Buffer.from('c\u00e9'), // é, two bytes
  Buffer.from('\u202econn'), // right-to-left override
  Buffer.from('\ufeffconn'), // byte order mark
  Buffer.from('dns\u{1f600}'), // four-byte UTF-8
  Buffer.from([0x63, 0xc0, 0xaf]), // overlong '/'
  Buffer.from([0xed, 0xa0, 0x80]), // a lone surrogate, encoded
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0x80]), // a continuation byte alone
  Buffer.from('../../etc/passwd'),
  Buffer.from('conn log'),
  Buffer.from('conn\n'),
  Buffer.from('conn\u001b[31m'),
  Buffer.from('*'),
  Buffer.from('%63onn'),
  Buffer.from('conn\u0085'),
  Buffer.from('a'.repeat(128) + '\u00e9'),
]

export interface InputLimits {
  readonly maxRecordBytes: number
  readonly maxPaths: number
  /** Longest path frame accepted (the shipper's MAX_PATH_BYTES). */
  readonly maxPathBytes: number
}

export type Verdict =
  | { readonly kind: 'accepted'; readonly path: string }
  | { readonly kind: 'rejected'; readonly reason: string }
  /** A frame over ZeroMQ's size limit: the connection is cut before the shipper sees the message. */
  | { readonly kind: 'cut' }
  /** No frame at all: nothing goes on the wire. */
  | { readonly kind: 'nothing' }

function validPath(dice: Dice, length: number): Buffer {
  let text = ''
  for (let i = 0; i < length; i++) text += VALID[dice.int(0, VALID.length - 1)]
  return Buffer.from(text, 'latin1')
}

function mutate(dice: Dice, bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes)
  switch (dice.int(0, 3)) {
    case 0: // flip a byte
      if (copy.length > 0) copy[dice.int(0, copy.length - 1)] = dice.int(0, 255)
      return copy
    case 1: // truncate
      return copy.subarray(0, dice.int(0, copy.length))
    case 2: // append noise
      return Buffer.concat([copy, dice.bytes(dice.int(1, 8))])
    default: // duplicate a slice
      return Buffer.concat([copy, copy.subarray(0, dice.int(0, copy.length))])
  }
}

function pathFrame(dice: Dice, limits: InputLimits): Buffer {
  const r = dice.int(0, 99)
  if (r < 50) return Buffer.from(dice.pick(ZEEK_PATHS))
  if (r < 62) return Buffer.from(`p${dice.int(0, 400)}`) // a pool of distinct valid paths
  if (r < 67) return validPath(dice, dice.int(1, limits.maxPathBytes)) // nearly always new: fills the path table
  if (r < 72) return validPath(dice, dice.int(limits.maxPathBytes + 1, limits.maxPathBytes + 200))
  if (r < 75) return Buffer.alloc(0)
  if (r < 85) return dice.pick(EDGE_PATHS)
  if (r < 90) return dice.bytes(dice.int(1, 64))
  return mutate(dice, Buffer.from(dice.pick(ZEEK_PATHS)))
}

function recordFrame(dice: Dice, i: number): Buffer {
  const r = dice.int(0, 99)
  if (r < 60) return zeekMessage(i)[1]
  if (r < 65) return Buffer.alloc(0)
  if (r < 80) return mutate(dice, zeekMessage(i)[1])
  return dice.bytes(dice.size())
}

/** The i-th fuzz message: 0 to 5 frames (mostly 2), the first a path, the rest records. */
export function fuzzMessage(dice: Dice, i: number, limits: InputLimits): Buffer[] {
  const r = dice.int(0, 99)
  const count = r < 1 ? 0 : r < 6 ? 1 : r < 86 ? 2 : r < 93 ? 3 : r < 97 ? 4 : 5
  const frames: Buffer[] = []
  if (count > 0) frames.push(pathFrame(dice, limits))
  while (frames.length < count) frames.push(recordFrame(dice, i))
  return frames
}

const ALLOWED_PATH = /^[A-Za-z0-9_.-]+$/

/** What the shipper must make of messages, given in the order the input reads them. */
export class InputModel {
  readonly limits: InputLimits
  readonly accepted = new Map<string, number>()
  readonly rejected = new Map<string, number>()
  readonly #known = new Set<string>()

  constructor(limits: InputLimits) {
    this.limits = limits
  }

  verdict(frames: readonly Buffer[]): Verdict {
    const { maxRecordBytes, maxPathBytes, maxPaths } = this.limits
    if (frames.length === 0) return { kind: 'nothing' }
    if (frames.some((frame) => frame.length > maxRecordBytes + maxPathBytes)) return { kind: 'cut' }
    if (frames.length !== 2) return this.#reject('frame_count')
    const [path, record] = frames as [Buffer, Buffer]
    if (path.length === 0) return this.#reject('empty_path')
    if (path.length > maxPathBytes) return this.#reject('path_too_long')
    if (record.length === 0) return this.#reject('empty_record')
    if (record.length > maxRecordBytes) return this.#reject('record_too_large')
    const name = path.toString('latin1')
    if (!ALLOWED_PATH.test(name)) return this.#reject('path_invalid')
    if (!this.#known.has(name)) {
      if (this.#known.size >= maxPaths) return this.#reject('too_many_paths')
      this.#known.add(name)
    }
    this.accepted.set(name, (this.accepted.get(name) ?? 0) + 1)
    return { kind: 'accepted', path: name }
  }

  get acceptedTotal(): number {
    return [...this.accepted.values()].reduce((sum, n) => sum + n, 0)
  }

  #reject(reason: string): Verdict {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1)
    return { kind: 'rejected', reason }
  }
}
