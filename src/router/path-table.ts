// Every distinct Zeek log path the input has seen, with what the router needs to know
// about it: which endpoints admit it, and its per-path input count.
//
// Zeek writes a few dozen distinct paths, millions of times each. Looking a path frame up
// here costs one pass over its bytes (checking the allowed characters and hashing them at
// once) and allocates nothing; filters run once per path, when it is first seen.

export interface LogPath {
  /** Small dense number, for per-path counters kept in typed arrays. */
  readonly id: number
  readonly name: string
  readonly bytes: Buffer
  /** admitted[i]: endpoint i's include/exclude filters let this path through. */
  readonly admitted: readonly boolean[]
  /** Records of this path accepted from the input. */
  records: number
}

/** Enough for every log of a busy Zeek with many log filters; more suggests garbage input. */
export const MAX_PATHS = 4096

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
  readonly #byHash = new Map<number, LogPath[]>()
  readonly #paths: LogPath[] = []
  readonly #admits: ReadonlyArray<(path: string) => boolean>

  /** `admits[i]` is endpoint i's filter. */
  constructor(admits: ReadonlyArray<(path: string) => boolean>) {
    this.#admits = admits
  }

  /** The paths seen so far, in order of first appearance. */
  get paths(): readonly LogPath[] {
    return this.#paths
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
      for (const path of bucket) if (sameBytes(path.bytes, frame)) return path
    }
    if (this.#paths.length >= MAX_PATHS) return 'too_many_paths'
    return this.#register(frame, hash, bucket)
  }

  #register(frame: Buffer, hash: number, bucket: LogPath[] | undefined): LogPath {
    const name = frame.toString('latin1')
    const path: LogPath = {
      id: this.#paths.length,
      name,
      bytes: Buffer.from(frame), // our own copy: the frame belongs to one message
      admitted: this.#admits.map((admits) => admits(name)),
      records: 0,
    }
    this.#paths.push(path)
    if (bucket === undefined) this.#byHash.set(hash, [path])
    else bucket.push(path)
    return path
  }
}
