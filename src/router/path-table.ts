// Every distinct Zeek log path the input has seen lately, with what the router needs to
// know about it: which endpoints admit it, and its per-path input count.
//
// Zeek writes a few dozen distinct paths, millions of times each. Looking a path frame up
// here costs one pass over its bytes (checking the allowed characters and hashing them at
// once), allocates nothing, and stamps when the path was last seen; filters run once per
// path, when it is first seen. A publisher can invent paths at will, so the table holds
// at most `maxPaths` and forgets a path that has not been seen for a while (see expire()).

import type { LogPath } from '../record/log-path.ts'

export type PathProblem = 'path_invalid' | 'too_many_paths'

// Bytes allowed in a path: [A-Za-z0-9_.-], as Zeek writes them (conn, dns-2, weird_stats).
const ALLOWED = new Uint8Array(256)
for (const char of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-') ALLOWED[char.charCodeAt(0)] = 1

function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export class PathTable {
  readonly maxPaths: number
  readonly #byHash = new Map<number, LogPath[]>()
  /** Indexed by LogPath.id; a forgotten path leaves a hole that the next new path takes. */
  readonly #slots: (LogPath | undefined)[] = []
  readonly #freeIds: number[] = []
  #admits: ReadonlyArray<(path: string) => boolean>
  #live = 0
  /**
   * Set by expire(), not read from the system clock per record: a path's lastSeen is the
   * time of the sweep before it was seen, up to one sweep interval early.
   */
  #clock: number

  /** `admits[i]` is endpoint i's filter; `now` is the clock expire() will be given. */
  constructor(admits: ReadonlyArray<(path: string) => boolean>, maxPaths: number, now: number) {
    this.#admits = admits
    this.maxPaths = maxPaths
    this.#clock = now
  }

  /** The paths known now. Built per call: for scrapes, not for the hot path. */
  get paths(): LogPath[] {
    return this.#slots.filter((path) => path !== undefined)
  }

  /** New endpoints' filters: every path known is judged again, as every path to come will be. */
  readmit(admits: ReadonlyArray<(path: string) => boolean>): void {
    this.#admits = admits
    for (const path of this.#slots) if (path !== undefined) path.admitted = admits.map((admit) => admit(path.name))
  }

  /** Finds (or registers) the path named by a path frame; the caller has checked its length. */
  lookup(frame: Buffer): LogPath | PathProblem {
    let hash = 0x811c9dc5 // FNV-1a
    for (let i = 0; i < frame.length; i++) {
      const byte = frame[i]!
      if (ALLOWED[byte] === 0) return 'path_invalid'
      hash = Math.imul(hash ^ byte, 0x01000193)
    }
    const bucket = this.#byHash.get(hash)
    if (bucket !== undefined) {
      for (const path of bucket) {
        if (sameBytes(path.bytes, frame)) {
          path.lastSeen = this.#clock
          return path
        }
      }
    }
    if (this.#live >= this.maxPaths) return 'too_many_paths'
    return this.#register(frame, hash, bucket)
  }

  /**
   * Forgets every path last seen `idleMs` or more before `now` (by the clock of the sweeps,
   * which runs up to one interval behind: the caller allows for that) with no record left
   * in any queue, and returns them: their ids are free for new paths.
   */
  expire(now: number, idleMs: number): LogPath[] {
    this.#clock = now
    const forgotten: LogPath[] = []
    for (const path of this.#slots) {
      if (path === undefined || now - path.lastSeen < idleMs || path.queued > 0) continue
      forgotten.push(path)
      this.#slots[path.id] = undefined
      this.#freeIds.push(path.id)
      this.#live--
      const bucket = this.#byHash.get(path.hash)!
      if (bucket.length === 1) this.#byHash.delete(path.hash)
      else bucket.splice(bucket.indexOf(path), 1)
    }
    return forgotten
  }

  #register(frame: Buffer, hash: number, bucket: LogPath[] | undefined): LogPath {
    const name = frame.toString('latin1')
    const path: LogPath = {
      id: this.#freeIds.pop() ?? this.#slots.length,
      name,
      bytes: Buffer.from(frame), // our own copy: the frame belongs to one message
      hash,
      admitted: this.#admits.map((admits) => admits(name)),
      records: 0,
      lastSeen: this.#clock,
      queued: 0,
    }
    this.#slots[path.id] = path
    this.#live++
    if (bucket === undefined) this.#byHash.set(hash, [path])
    else bucket.push(path)
    return path
  }
}

