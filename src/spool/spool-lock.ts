// One owner per spool directory: two shippers appending to and deleting the same segments
// would lose and repeat records without a trace. The owner holds a lock file naming its
// pid and the process's start time (so that a pid reused after a restart, as pid 1 is in
// every container, is not taken for the owner). A lock whose process is gone is stale and
// taken over; a live one is a start-up error naming the directory.

import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ShipperError } from '../errors.ts'

export const LOCK_FILE = 'lock'

/** Directories this process holds: a second owner inside one process is refused too. */
const held = new Set<string>()

/** The process's start time in clock ticks since boot, from /proc; '' where there is none. */
function startTimeOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19] ?? ''
  } catch {
    return ''
  }
}

function isAlive(pid: number, startTime: string): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  return startTime === '' || startTimeOf(pid) === '' || startTimeOf(pid) === startTime
}

function owner(path: string): { pid: number; startTime: string } | undefined {
  try {
    const [pid, startTime = ''] = readFileSync(path, 'utf8').trim().split(' ')
    const number = Number(pid)
    return Number.isSafeInteger(number) && number > 0 ? { pid: number, startTime } : undefined
  } catch {
    return undefined
  }
}

// The lock appears with its content or not at all (written aside, then linked into place),
// so that a reader never finds an empty lock of a live owner and takes it for stale.
function create(path: string): boolean {
  const aside = `${path}.${process.pid}`
  writeFileSync(aside, `${process.pid} ${startTimeOf(process.pid)}\n`, { mode: 0o600 })
  try {
    linkSync(aside, path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  } finally {
    unlinkSync(aside)
  }
}

function createOrRefuse(path: string, dir: string): boolean {
  try {
    return create(path)
  } catch (err) {
    throw new ShipperError('ERR_SPOOL', `cannot lock the spool directory ${dir}: ${(err as Error).message}`, { dir, cause: err })
  }
}

export class SpoolLock {
  readonly #dir: string
  readonly #path: string

  private constructor(dir: string) {
    this.#dir = dir
    this.#path = join(dir, LOCK_FILE)
  }

  /** Takes the directory (already resolved and created) or throws ERR_SPOOL naming it and its owner. */
  static acquire(dir: string): SpoolLock {
    const refuse = (who: string): never => {
      throw new ShipperError('ERR_SPOOL', `the spool directory ${dir} is in use by ${who}; two shippers must not share a spool`, { dir })
    }
    if (held.has(dir)) refuse('another endpoint of this process')
    const path = join(dir, LOCK_FILE)
    // Two attempts: a stale lock is removed once; if another process takes it in between,
    // its lock is live and the second attempt refuses.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (createOrRefuse(path, dir)) {
        held.add(dir)
        return new SpoolLock(dir)
      }
      const found = owner(path)
      const ours = found?.pid === process.pid && found.startTime === startTimeOf(process.pid)
      if (found !== undefined && !ours && isAlive(found.pid, found.startTime)) refuse(`process ${found.pid}`)
      // Stale: its process is gone, or it is this very pid from an earlier life (held would know ours).
      try {
        unlinkSync(path)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
    }
    return refuse('another process that took it over at the same time')
  }

  release(): void {
    held.delete(this.#dir)
    if (owner(this.#path)?.pid === process.pid) unlinkSync(this.#path)
  }
}
