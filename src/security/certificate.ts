// ZeroMQ certificates: the ZPL text (ZeroMQ RFC 4) that pyzmq's zmq.auth.create_certificates
// and CZMQ's zcert write, a `curve` section with `public-key` and, in the secret
// certificate, `secret-key`, both Z85:
//
//   metadata
//   curve
//       public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
//       secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
//
// What is read from these files never appears in a message: problems name the file and
// the line, and say what is wrong, not what is there.

import { createPrivateKey, createPublicKey } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { inspect } from 'node:util'
import { keyPrefix } from './key-prefix.ts'
import { isZ85Key, z85Decode } from './z85.ts'

/** A problem with a certificate file, for the configuration error that names its setting. */
export class CertificateProblem extends Error {
  override readonly name = 'CertificateProblem'
}

interface CurveSection {
  publicKey?: string
  secretKey?: string
}

function unquote(value: string): string {
  const quoted = /^"([^"]*)"$|^'([^']*)'$/.exec(value)
  return quoted === null ? value : (quoted[1] ?? quoted[2]!)
}

/** The `curve` section of a ZPL text. Other sections (metadata) are read past. */
export function parseZpl(text: string, path: string): CurveSection {
  const found: CurveSection = {}
  let section = ''
  text.split(/\r?\n/).forEach((line, index) => {
    if (/^\s*(#.*)?$/.test(line)) return
    const match = /^( *)([A-Za-z0-9$\-_@.&+/]+)\s*(?:=\s*(.*?))?\s*$/.exec(line)
    if (match === null) throw new CertificateProblem(`${path}: line ${index + 1} is not ZPL (name, or name = value)`)
    const depth = match[1]!.length / 4
    if (!Number.isInteger(depth)) throw new CertificateProblem(`${path}: line ${index + 1} is indented by ${match[1]!.length} spaces; ZPL indents by 4`)
    const name = match[2]!
    if (depth === 0) {
      section = name
      return
    }
    if (depth !== 1 || section !== 'curve' || match[3] === undefined) return
    const value = unquote(match[3])
    if (name === 'public-key') found.publicKey = value
    else if (name === 'secret-key') found.secretKey = value
  })
  return found
}

function checkKey(key: string | undefined, which: string, path: string): string {
  if (key === undefined) throw new CertificateProblem(`${path}: no ${which} in a "curve" section; not a ZeroMQ certificate`)
  if (!isZ85Key(key)) throw new CertificateProblem(`${path}: the ${which} is not a 40-character Z85 key`)
  return key
}

/** The Curve25519 public key that belongs to a secret key, in Z85 form's bytes. */
function publicKeyOf(secretKey: string): Buffer {
  const d = z85Decode(secretKey)!.toString('base64url')
  const jwk = createPublicKey(createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d, x: '' }, format: 'jwk' })).export({ format: 'jwk' })
  return Buffer.from(jwk.x!, 'base64url')
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw new CertificateProblem(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

/** A peer's public certificate (NAME.key): its public key. */
export function readPublicCertificate(path: string): string {
  return checkKey(parseZpl(readText(path), path).publicKey, 'public-key', path)
}

/**
 * The shipper's own key pair. Its secret key is kept out of every log line, error and
 * inspection: only the path and a prefix of the public key show.
 */
export class CurveCertificate {
  readonly path: string
  readonly publicKey: string
  readonly #secretKey: string

  constructor(path: string, publicKey: string, secretKey: string) {
    this.path = path
    this.publicKey = publicKey
    this.#secretKey = secretKey
  }

  /** For the socket option only. */
  secretKey(): string {
    return this.#secretKey
  }

  toJSON(): Record<string, string> {
    return { path: this.path, publicKey: keyPrefix(this.publicKey) }
  }

  [inspect.custom](): string {
    return `CurveCertificate ${JSON.stringify(this.toJSON())}`
  }
}

/**
 * What a secret certificate's mode may not allow, or a problem with its owner. Like ssh,
 * nobody but its owner may read or change it; like PostgreSQL with its key, a file owned by
 * root may also be readable by its group, which is how Kubernetes mounts a Secret for a
 * pod with an fsGroup.
 */
function checkSecretFile(path: string, stats: { uid: number; mode: number }): string | undefined {
  const me = process.getuid?.()
  const mode = stats.mode & 0o777
  const octal = mode.toString(8).padStart(4, '0')
  if (me !== undefined && stats.uid !== me && stats.uid !== 0) return `${path} holds a secret key and is owned by uid ${stats.uid}; it must belong to the shipper's user (uid ${me}) or root`
  const rootsForOthers = me !== 0 && stats.uid === 0
  if ((mode & (rootsForOthers ? 0o037 : 0o077)) !== 0) {
    return `${path} holds a secret key and may be read or changed by others (mode ${octal}); chmod 600 it (or 400${rootsForOthers ? ', or 440 when root owns it' : ''})`
  }
  return undefined
}

/** Reads a secret certificate (NAME.key_secret), refused when others may read or change it (see checkSecretFile). */
export function readSecretCertificate(path: string): CurveCertificate {
  try {
    const stats = statSync(path)
    if (!stats.isFile()) throw new CertificateProblem(`${path} is not a file`)
    const problem = checkSecretFile(path, stats)
    if (problem !== undefined) throw new CertificateProblem(problem)
  } catch (err) {
    if (err instanceof CertificateProblem) throw err
    throw new CertificateProblem(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  const section = parseZpl(readText(path), path)
  const publicKey = checkKey(section.publicKey, 'public-key', path)
  const secretKey = checkKey(section.secretKey, 'secret-key', path)
  if (!publicKeyOf(secretKey).equals(z85Decode(publicKey)!)) {
    throw new CertificateProblem(`${path}: the public-key does not belong to the secret-key`)
  }
  return new CurveCertificate(path, publicKey, secretKey)
}

/** The ZPL text of a certificate, as pyzmq writes it; with `secretKey` the secret one. */
export function certificateText(publicKey: string, secretKey?: string): string {
  const header =
    secretKey === undefined
      ? ['#   ZeroMQ CURVE Public Certificate', '#   Exchange securely, or use a secure mechanism to verify the contents', '#   of this file after exchange.']
      : ['#   ZeroMQ CURVE **Secret** Certificate', '#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.']
  const lines = [`#   ****  Generated on ${new Date().toISOString()} by zeek-zmq-shipper  ****`, ...header, '', 'metadata', 'curve', `    public-key = "${publicKey}"`]
  if (secretKey !== undefined) lines.push(`    secret-key = "${secretKey}"`)
  return `${lines.join('\n')}\n`
}
