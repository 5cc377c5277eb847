// ZeroMQ addresses as the Zeek writer plugin takes them: tcp://host:port or ipc:///path.

import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'

export type Transport = 'tcp' | 'ipc'

export interface ZmqAddress {
  readonly transport: Transport
  /** The address exactly as ZeroMQ takes it. */
  readonly address: string
  /** For ipc: the socket file. */
  readonly ipcPath?: string
}

// IPv6 hosts come bracketed, as ZeroMQ writes them: tcp://[::1]:5556.
const TCP = /^tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[^\s:/?#[\]]+):(\d+|\*)$/

/**
 * Parses one address. `allowWildcardPort` admits tcp://host:* (bind only), which lets
 * the OS pick a free port, as tests and ad-hoc runs want.
 */
export function parseZmqAddress(text: string, allowWildcardPort: boolean): ZmqAddress | string {
  if (text.startsWith('ipc://')) {
    const path = text.slice('ipc://'.length)
    if (path === '') return `ipc address "${text}" names no socket file`
    return { transport: 'ipc', address: text, ipcPath: path }
  }
  if (text.startsWith('tcp://')) {
    const match = TCP.exec(text)
    if (match === null) return `tcp address "${text}" is not of the form tcp://host:port`
    const port = match[2]
    if (port === '*') {
      return allowWildcardPort ? { transport: 'tcp', address: text } : `tcp address "${text}" needs a port number to connect to`
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
