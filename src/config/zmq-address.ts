// ZeroMQ addresses as the Zeek writer plugin takes them: tcp://host:port or ipc:///path.

import { realpathSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { isIPv4, isIPv6 } from 'node:net'
import { basename, dirname, join, resolve } from 'node:path'

export type Transport = 'tcp' | 'ipc'

export interface ZmqAddress {
  readonly transport: Transport
  /** The address exactly as ZeroMQ takes it. */
  readonly address: string
  /** For ipc: the socket file. */
  readonly ipcPath?: string
}

/**
 * The longest ipc path the OS takes: a unix socket address (sun_path) holds 108 bytes on
 * Linux, 104 on BSD and macOS, including the terminating NUL. A longer path fails only at
 * bind or connect time, so it is refused with the configuration instead.
 */
export const IPC_PATH_MAX_BYTES = process.platform === 'linux' ? 107 : 103

// IPv6 hosts come bracketed, as ZeroMQ writes them: tcp://[::1]:5556, tcp://[fe80::1%eth0]:5556.
const TCP = /^tcp:\/\/(\[[^\]]*\]|[^:/?#[\]]*):(\d+|\*)$/
// A DNS label (letters, digits, "-" inside; "_" too, as docker compose service names have it).
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/

function isHostName(host: string): boolean {
  if (host.length > 253) return false
  const labels = host.replace(/\.$/, '').split('.')
  // An all-digit last label is an IPv4 address gone wrong (10.0.0.256), not a name.
  return labels.every((label) => LABEL.test(label)) && !/^\d+$/.test(labels.at(-1)!)
}

function checkTcpHost(host: string, binding: boolean): string | undefined {
  if (host === '*') return binding ? undefined : 'only binds: a connection needs the host to reach'
  const valid = host.startsWith('[') ? isIPv6(host.slice(1, -1)) : isIPv4(host) || isHostName(host)
  return valid ? undefined : 'is not a host name, IPv4 address, [IPv6] address or *'
}

/** An ipc path is absolute and short enough for the OS; "@name" is Linux's abstract namespace. */
function checkIpcPath(text: string, path: string): string | undefined {
  if (path === '') return `ipc address "${text}" names no socket file`
  if (!path.startsWith('/') && !path.startsWith('@')) {
    return `ipc address "${text}" is a relative path: it would depend on the working directory; give an absolute path, such as ipc:///run/zeek-zmq/${path}`
  }
  const bytes = Buffer.byteLength(path)
  if (bytes > IPC_PATH_MAX_BYTES) return `ipc address "${text}" has a socket path of ${bytes} bytes; the longest the OS takes is ${IPC_PATH_MAX_BYTES}`
  return undefined
}

/**
 * Parses one address. `binding` admits what only a bound socket takes: tcp://host:*
 * (the OS picks a free port, as tests and ad-hoc runs want) and the host "*" (every interface).
 */
export function parseZmqAddress(text: string, binding: boolean): ZmqAddress | string {
  if (text.startsWith('ipc://')) {
    const path = text.slice('ipc://'.length)
    return checkIpcPath(text, path) ?? { transport: 'ipc', address: text, ipcPath: path }
  }
  if (text.startsWith('tcp://')) {
    const match = TCP.exec(text)
    if (match === null) return `tcp address "${text}" is not of the form tcp://host:port`
    const hostProblem = checkTcpHost(match[1]!, binding)
    if (hostProblem !== undefined) return `tcp address "${text}": host "${match[1]}" ${hostProblem}`
    const port = match[2]
    if (port === '*') {
      return binding ? { transport: 'tcp', address: text } : `tcp address "${text}" needs a port number to connect to`
    }
    const number = Number(port)
    if (number < 1 || number > 65535) return `tcp address "${text}" has port ${port}, outside 1-65535`
    return { transport: 'tcp', address: text }
  }
  const scheme = /^([a-z0-9+.-]*):\/\//i.exec(text)
  if (scheme !== null) return `address "${text}" uses transport "${scheme[1]}"; only tcp:// and ipc:// are supported`
  return `"${text}" is not a ZeroMQ address (tcp://host:port or ipc:///path)`
}

/** Before binding an ipc address: creates the socket file's directory if it is missing. */
export async function makeIpcDirectory(address: string): Promise<void> {
  if (address.startsWith('ipc://')) await mkdir(dirname(address.slice('ipc://'.length)), { recursive: true })
}

/**
 * The file an ipc path names, as the kernel will find it: "." and ".." resolved and
 * symlinked directories followed, as far as the directories exist (the rest is taken as
 * written, since the shipper creates it). Two addresses that differ only in spelling
 * bind the same socket file, and the second bind would silently take it from the first.
 */
export function resolveIpcPath(path: string): string {
  if (path.startsWith('@')) return path // abstract: no file, no directories
  const missing: string[] = [basename(path)]
  let dir = dirname(path)
  for (;;) {
    try {
      return join(realpathSync(dir), ...missing)
    } catch {
      const parent = dirname(dir)
      if (parent === dir) return resolve(path)
      missing.unshift(basename(dir))
      dir = parent
    }
  }
}
