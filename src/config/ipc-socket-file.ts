// What is at an ipc path before the shipper binds it. ZeroMQ's ipc bind first unlinks
// whatever the path names: another live process's socket (both would then report ready,
// and Zeek's records go to whichever bound last), or a file that merely has the name.
// So every ipc path is looked at before anything binds: a socket that accepts a
// connection belongs to a live process and is refused; a socket file nobody accepts on is
// stale (its process died) and is replaced; anything else is refused and left alone.

import type { Stats } from 'node:fs'
import { lstat, unlink } from 'node:fs/promises'
import { connect } from 'node:net'
import { ShipperError } from '../errors.ts'

/** Long enough for a live process on a loaded machine to accept, short enough not to hold up a start. */
const PROBE_TIMEOUT_MS = 2000

export interface IpcBinder {
  /** Who binds, for messages: "the input", `endpoint "siem"`. */
  readonly who: string
  readonly address: string
}

type Probe = 'accepted' | 'refused' | 'gone' | { readonly problem: string }

/** Connects as a client would, and leaves at once. */
function probe(path: string): Promise<Probe> {
  return new Promise((resolve) => {
    // Linux's abstract namespace: ZeroMQ's "@name" is the address "\0name".
    const socket = connect({ path: path.startsWith('@') ? `\0${path.slice(1)}` : path })
    const done = (result: Probe): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    // A listener whose backlog is full does not accept in time, but it is there.
    const timer = setTimeout(() => done('accepted'), PROBE_TIMEOUT_MS)
    socket.once('connect', () => done('accepted'))
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') done('refused')
      else if (err.code === 'ENOENT') done('gone')
      else if (err.code === 'EAGAIN') done('accepted')
      else done({ problem: `cannot tell whether another process is bound there: ${err.message}` })
    })
  })
}

function kindOf(stats: Stats): string {
  if (stats.isFile()) return 'a regular file'
  if (stats.isDirectory()) return 'a directory'
  if (stats.isSymbolicLink()) return 'a symbolic link'
  if (stats.isFIFO()) return 'a named pipe'
  return 'a device'
}

/** What to do about one path: undefined when it is free, 'stale' to replace, or the problem. */
async function inspect(path: string): Promise<'stale' | string | undefined> {
  if (path.startsWith('@')) {
    // No file: only a live socket can be in the way.
    const found = await probe(path)
    if (found === 'accepted') return 'another process is bound there'
    return typeof found === 'object' ? found.problem : undefined
  }
  let stats: Stats
  try {
    stats = await lstat(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    return `cannot look at ${path}: ${(err as Error).message}`
  }
  if (!stats.isSocket()) return `${path} is ${kindOf(stats)}, not a socket; it was left as it is`
  const found = await probe(path)
  if (found === 'accepted') return 'another process is bound there'
  if (found === 'refused') return 'stale'
  return found === 'gone' ? undefined : found.problem
}

/**
 * Looks at every ipc path the binders will bind, replaces stale socket files, and returns
 * the addresses so replaced (for the caller to log). Everything else that is in the way is
 * reported at once in one ERR_BIND, before anything is bound.
 */
export async function clearIpcPaths(binders: readonly IpcBinder[]): Promise<string[]> {
  const ipc = binders.filter(({ address }) => address.startsWith('ipc://'))
  const found = await Promise.all(ipc.map(({ address }) => inspect(address.slice('ipc://'.length))))
  const problems = ipc.flatMap(({ who, address }, i) => (found[i] === undefined || found[i] === 'stale' ? [] : [`${who} ${address}: ${found[i]}`]))
  if (problems.length > 0) throw new ShipperError('ERR_BIND', `cannot bind:\n  ${problems.join('\n  ')}`, { problems })
  const stale = ipc.filter((_, i) => found[i] === 'stale')
  for (const { address } of stale) {
    try {
      await unlink(address.slice('ipc://'.length))
    } catch (err) {
      // Gone already: what the unlink was for.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ShipperError('ERR_BIND', `cannot bind ${address}: cannot remove its stale socket file: ${(err as Error).message}`, { cause: err })
    }
  }
  return stale.map(({ address }) => address)
}
