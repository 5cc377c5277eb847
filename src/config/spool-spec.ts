// An endpoint's disk spool: where (spool=DIR, or ZEEK_ZMQ_SPOOL_DIR/<endpoint name>), how
// large (spool_max=SIZE, bytes with an optional KiB, MiB or GiB suffix) and how often
// synced to disk (spool_sync=none|interval|always). Each endpoint needs a directory of its
// own: two spools in one directory would delete each other's segments.

import { isAbsolute, join } from 'node:path'
import { SPOOL_SYNC_POLICIES, type SpoolSync } from '../record/spool-sync-policy.ts'
import { resolveIpcPath } from './zmq-address.ts'

export interface EndpointSpool {
  readonly dir: string
  readonly maxBytes: number
  readonly sync: SpoolSync
}

export interface SpoolDefaults {
  /** ZEEK_ZMQ_SPOOL_DIR: the parent of every endpoint's spool directory; '' for none. */
  readonly spoolDir: string
  readonly spoolMaxBytes: number
  readonly spoolSync: SpoolSync
}

export const SPOOL_KEYS = ['spool', 'spool_max', 'spool_sync'] as const
type SpoolKey = (typeof SPOOL_KEYS)[number]

/** Smaller spools would hold a handful of the largest records: a mistake, not a setting. */
export const MIN_SPOOL_BYTES = 1024 * 1024
const UNITS: Record<string, number> = { '': 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 }
/** Longest file name Linux takes. */
const MAX_NAME_BYTES = 255

/** Bytes from "SIZE" (digits, then optionally KiB, MiB or GiB), or a problem. */
export function parseByteSize(text: string): number | string {
  const match = /^\s*(\d+)\s*(KiB|MiB|GiB)?\s*$/.exec(text)
  const bytes = match === null ? NaN : Number(match[1]) * UNITS[match[2] ?? '']!
  if (!Number.isSafeInteger(bytes)) return `"${text}" is not a size in bytes (digits, optionally followed by KiB, MiB or GiB)`
  if (bytes < MIN_SPOOL_BYTES) return `"${text}" is less than the smallest spool, 1MiB`
  return bytes
}

export function checkSpoolDir(dir: string): string | undefined {
  return dir === '' || isAbsolute(dir) ? undefined : `"${dir}" is not an absolute path`
}

/**
 * The directory an endpoint's spool takes under ZEEK_ZMQ_SPOOL_DIR: its name, with every
 * byte outside [A-Za-z0-9_-] (and a leading dot) written as %XX, so that a name like
 * "tcp://siem:5556" or ".." stays one directory of its own.
 */
export function spoolDirName(name: string): string {
  return [...Buffer.from(name)].map((byte, i) => {
    const char = String.fromCharCode(byte)
    return /[A-Za-z0-9_-]/.test(char) || (char === '.' && i > 0) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }).join('')
}

function isPolicy(text: string): text is SpoolSync {
  return (SPOOL_SYNC_POLICIES as readonly string[]).includes(text)
}

/** The endpoint's spool from its parameters and the defaults: undefined for none (and when there are problems). */
export function parseSpool(fields: Partial<Record<SpoolKey, string>>, name: string, defaults: SpoolDefaults, problems: string[]): EndpointSpool | undefined {
  const before = problems.length
  let dir: string | undefined
  if (fields.spool !== undefined) {
    // spool= (empty) turns off the spool that ZEEK_ZMQ_SPOOL_DIR would give the endpoint.
    if (fields.spool !== '') dir = fields.spool
    const problem = checkSpoolDir(fields.spool)
    if (problem !== undefined) problems.push(`spool ${problem}`)
  } else if (defaults.spoolDir !== '') {
    const own = spoolDirName(name)
    if (Buffer.byteLength(own) > MAX_NAME_BYTES) problems.push(`the spool directory name for this endpoint's name would be longer than ${MAX_NAME_BYTES} bytes; give a shorter name or spool=DIR`)
    dir = join(defaults.spoolDir, own)
  }

  let maxBytes = defaults.spoolMaxBytes
  if (fields.spool_max !== undefined) {
    const parsed = parseByteSize(fields.spool_max)
    if (typeof parsed === 'string') problems.push(`spool_max ${parsed}`)
    else maxBytes = parsed
  }
  const sync = fields.spool_sync ?? defaults.spoolSync
  if (!isPolicy(sync)) problems.push(`spool_sync "${sync}" is not one of ${SPOOL_SYNC_POLICIES.join(', ')}`)

  if (dir === undefined) {
    const given = (['spool_max', 'spool_sync'] as const).filter((key) => fields[key] !== undefined)
    if (given.length > 0) problems.push(`${given.join(' and ')} without a spool: give spool=DIR or set ZEEK_ZMQ_SPOOL_DIR`)
    return undefined
  }
  if (problems.length > before) return undefined
  return { dir, maxBytes, sync: sync as SpoolSync }
}

/** Two endpoints spooling into one directory (compared as the file system resolves it). */
export function spoolClashes(endpoints: ReadonlyArray<{ readonly name: string; readonly spool?: EndpointSpool }>): string[] {
  const owners = new Map<string, string>()
  const problems: string[] = []
  for (const endpoint of endpoints) {
    if (endpoint.spool === undefined) continue
    const key = resolveIpcPath(endpoint.spool.dir)
    const earlier = owners.get(key)
    if (earlier !== undefined) problems.push(`endpoints "${earlier}" and "${endpoint.name}" both spool to ${key}; each endpoint needs a spool directory of its own`)
    else owners.set(key, endpoint.name)
  }
  return problems
}
