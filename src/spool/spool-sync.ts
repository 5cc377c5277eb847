// When the spool's bytes reach the disk itself, not only the page cache (which survives
// SIGKILL but not power loss):
//
//   none      never asked for: the kernel writes back when it likes (about 30 s on Linux)
//   interval  every syncIntervalMs (1 s): what changed since the last fsync
//   always    as soon as anything changed: one fsync at a time, each covering every record
//             appended (and every acknowledgement) before it began ("group commit")
//
// The fsyncs run in libuv's thread pool, never on the event loop: an fsync takes
// milliseconds on a real disk, and a shipper that blocked on one per record could not
// read Zeek's input meanwhile, so Zeek's writer would drop records at its hwm to save
// the few records an fsync covers. Nobody upstream waits for an acknowledgement (Zeek's
// PUB socket has none), so "always" promises what blocking would: a record appended is
// on disk within about one fsync, without holding up anything else.

import { close, closeSync, fsync } from 'node:fs'
import { promisify } from 'node:util'
import type { SpoolSync } from '../record/spool-sync-policy.ts'

const fsyncAsync = promisify(fsync)
const closeAsync = promisify(close)


/** The files whose changes an fsync must cover; the spool says which changed. */
export interface SyncTargets {
  /** File descriptors written since the last fsync; each is asked once. */
  takeDirty(): number[]
  /** Segment files closed since the last fsync: synced, then closed here. */
  takeRetired(): number[]
}

export class SpoolSyncer {
  readonly policy: SpoolSync
  readonly #targets: SyncTargets
  readonly #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #again = false
  /** Rounds of fsyncs done (each covers every file changed before it began). */
  rounds = 0
  /** fsyncs that failed (EIO, ENOSPC on some file systems): what they covered may not survive power loss. */
  failures = 0

  constructor(policy: SpoolSync, intervalMs: number, targets: SyncTargets) {
    this.policy = policy
    this.#targets = targets
    if (policy === 'interval') {
      this.#timer = setInterval(() => this.request(), intervalMs)
      // A spool must never keep the process alive on its own.
      this.#timer.unref()
    }
  }

  /** Something changed: under "always", sync it now (or right after the fsync under way). */
  changed(): void {
    if (this.policy === 'always') this.request()
  }

  /** A segment file the writer is done with: closed at once under "none", after its fsync otherwise. */
  retire(fd: number, retired: number[]): void {
    if (this.policy === 'none') closeSync(fd)
    else retired.push(fd)
  }

  request(): void {
    if (this.#running !== undefined) {
      this.#again = true
      return
    }
    this.#running = this.#run().finally(() => (this.#running = undefined))
  }

  async #run(): Promise<void> {
    do {
      this.#again = false
      const dirty = this.#targets.takeDirty()
      const retired = this.#targets.takeRetired()
      const results = await Promise.allSettled([...dirty, ...retired].map((fd) => fsyncAsync(fd)))
      this.failures += results.filter((r) => r.status === 'rejected').length
      if (results.length > 0) this.rounds++
      await Promise.allSettled(retired.map((fd) => closeAsync(fd)))
    } while (this.#again)
  }

  /** Stops the timer and, unless the policy is "none", syncs what is left. */
  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.#running
    if (this.policy === 'none') {
      for (const fd of this.#targets.takeRetired()) closeSync(fd)
      return
    }
    this.request()
    await this.#running
  }
}
