// Who may use a socket: the query parameters curve, clients, server_key and allow of an
// endpoint or input spec, checked against its mode and transport, then the certificate
// files they name read in.
//
//   tcp://0.0.0.0:5556?mode=bind&curve=server&clients=/etc/zeek-zmq/clients&allow=10.0.0.0/8
//   tcp://relay:5555?mode=connect&curve=client&server_key=/etc/zeek-zmq/relay.key

import { AddressAllowList } from './address-allow-list.ts'
import { CertificateProblem, readPublicCertificate } from './certificate.ts'
import { readClientKeys } from './client-keys.ts'

export const ACCESS_KEYS = ['curve', 'clients', 'server_key', 'allow'] as const
export type AccessKey = (typeof ACCESS_KEYS)[number]
export type AccessFields = Partial<Record<AccessKey, string>>

/** clients=*: any CURVE client (encryption without client authentication). */
export const ANY_CLIENT = '*'

export interface SocketAccess {
  /** server: peers must be CURVE clients; client: the peer must be the CURVE server of serverKeyPath. */
  readonly curve?: 'server' | 'client'
  /** curve=server: a directory of public certificates, or "*". */
  readonly clients?: string
  /** curve=server with a directory: the public keys (Z85) found there. */
  readonly clientKeys?: ReadonlySet<string>
  /** curve=client: the server's public certificate, and its key once read. */
  readonly serverKeyPath?: string
  readonly serverKey?: string
  /** Bind mode: the peer addresses admitted. */
  readonly allow?: AddressAllowList
}

export const OPEN_ACCESS: SocketAccess = {}

/** Where the socket sits, which decides the parameters it may take. */
export interface AccessContext {
  readonly binds: boolean
  readonly transport: 'tcp' | 'ipc'
}

/** Whether the ZAP handler decides about this socket's peers. */
export function asksZap(access: SocketAccess): boolean {
  return access.curve === 'server' || access.allow !== undefined
}

export function isAccessKey(key: string): key is AccessKey {
  return (ACCESS_KEYS as readonly string[]).includes(key)
}

/** Checks the parameters against each other and the socket; reads no file yet. */
export function parseAccess(fields: AccessFields, where: AccessContext, problems: string[]): SocketAccess {
  const { curve, clients, server_key: serverKeyPath } = fields
  const before = problems.length
  if (curve !== undefined && curve !== 'server' && curve !== 'client') problems.push(`curve "${curve}" is neither "server" nor "client"`)
  if (curve !== undefined && where.transport === 'ipc') {
    problems.push('curve on an ipc address: ipc never leaves the host and is protected by its directory\'s permissions (see "Security"); use tcp for CURVE')
  }
  if (curve === 'server' && !where.binds) problems.push('curve=server needs mode=bind (a connecting endpoint is the CURVE client: curve=client&server_key=PATH)')
  if (curve === 'client' && where.binds) problems.push('curve=client needs mode=connect (a bound socket is the CURVE server: curve=server&clients=DIR)')
  if (curve === 'server' && clients === undefined) problems.push('curve=server needs clients=DIR (the public certificates admitted) or clients=* (any CURVE client, written out)')
  if (clients !== undefined && curve !== 'server') problems.push('clients is only for curve=server')
  if (clients === '') problems.push('clients is empty: give a directory of public certificates, or *')
  if (curve === 'client' && (serverKeyPath === undefined || serverKeyPath === '')) problems.push("curve=client needs server_key=PATH, the server's public certificate")
  if (serverKeyPath !== undefined && curve !== 'client') problems.push('server_key is only for curve=client')

  let allow: AddressAllowList | undefined
  if (fields.allow !== undefined) {
    if (!where.binds) problems.push('allow is only for a bound socket (mode=bind, or an input): a connecting socket chooses its peer')
    else if (where.transport === 'ipc') problems.push('allow on an ipc address: ipc peers have no address; the socket directory\'s permissions decide (see "Security")')
    const parsed = AddressAllowList.parse(fields.allow)
    if (Array.isArray(parsed)) problems.push(...parsed)
    else allow = parsed
  }
  if (problems.length > before) return OPEN_ACCESS
  return { curve: curve as SocketAccess['curve'], clients, serverKeyPath, allow }
}

/** Reads the certificates the parameters name; a problem names the file, never a key. */
export function loadAccessKeys(access: SocketAccess, problems: string[]): SocketAccess {
  try {
    if (access.curve === 'server' && access.clients !== undefined && access.clients !== ANY_CLIENT) {
      return { ...access, clientKeys: readClientKeys(access.clients) }
    }
    if (access.curve === 'client' && access.serverKeyPath !== undefined) {
      return { ...access, serverKey: readPublicCertificate(access.serverKeyPath) }
    }
  } catch (err) {
    if (!(err instanceof CertificateProblem)) throw err
    problems.push(err.message)
  }
  return access
}
