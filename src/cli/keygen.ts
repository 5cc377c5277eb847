// `zeek-zmq-shipper keygen NAME [--dir DIR]`: a CURVE key pair as ZeroMQ certificates,
// NAME.key (public, to hand to peers) and NAME.key_secret (mode 0600, to keep), in the
// format pyzmq's zmq.auth and CZMQ read. It prints the public key, never the secret one.

import { constants } from 'node:fs'
import { open, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { curveKeyPair } from 'zeromq'
import { ShipperError } from '../errors.ts'
import { certificateText } from '../security/certificate.ts'

const HELP = `usage: zeek-zmq-shipper keygen NAME [--dir DIR]

Writes a new CURVE key pair as ZeroMQ certificates: DIR/NAME.key, the public certificate
to give to peers (a server's clients directory, or a client's server_key), and
DIR/NAME.key_secret, the secret certificate (mode 0600) for ZEEK_ZMQ_CURVE_CERT or
tail --curve-cert. Refuses to overwrite either file. Prints the public key.

  NAME          file name without extension: letters, digits, ".", "_" and "-"
  --dir DIR     where to write them (default: the current directory)
  -h, --help    this text
`

function usageError(message: string): ShipperError {
  return new ShipperError('ERR_USAGE', `keygen: ${message}\nTry "zeek-zmq-shipper keygen --help".`)
}

export interface KeygenOptions {
  readonly name: string
  readonly dir: string
}

export function parseKeygenArgs(args: string[]): KeygenOptions | 'help' {
  let parsed
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { dir: { type: 'string', default: '.' }, help: { type: 'boolean', short: 'h', default: false } } })
  } catch (err) {
    throw usageError((err as Error).message)
  }
  if (parsed.values.help) return 'help'
  const [name, ...extra] = parsed.positionals
  if (name === undefined) throw usageError('no NAME given (such as sensor-1)')
  if (extra.length > 0) throw usageError(`one NAME expected, got ${parsed.positionals.length}: ${parsed.positionals.join(' ')}`)
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name)) throw usageError(`NAME "${name}" may hold only letters, digits, ".", "_" and "-"`)
  return { name, dir: parsed.values.dir }
}

/** Creates `path` with `text`, failing if anything is there already. */
async function createFile(path: string, text: string, mode: number): Promise<void> {
  const file = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode)
  try {
    await file.writeFile(text)
    await file.chmod(mode) // the umask may have taken bits off the public one
  } finally {
    await file.close()
  }
}

function cannotCreate(path: string, err: unknown): ShipperError {
  const why = (err as NodeJS.ErrnoException).code === 'EEXIST' ? 'it exists, and keygen never overwrites a key' : (err as Error).message
  return new ShipperError('ERR_KEYGEN', `keygen: cannot create ${path}: ${why}`)
}

/** Writes the pair; returns the paths and the public key. */
export async function keygen(options: KeygenOptions): Promise<{ publicPath: string; secretPath: string; publicKey: string }> {
  const publicPath = join(options.dir, `${options.name}.key`)
  const secretPath = join(options.dir, `${options.name}.key_secret`)
  const { publicKey, secretKey } = curveKeyPair()
  // The secret one first: should it exist, nothing is written; should the public one
  // exist, the new secret one is taken back, so a pair on disk always belongs together.
  try {
    await createFile(secretPath, certificateText(publicKey, secretKey), 0o600)
  } catch (err) {
    throw cannotCreate(secretPath, err)
  }
  try {
    await createFile(publicPath, certificateText(publicKey), 0o644)
  } catch (err) {
    await unlink(secretPath)
    throw cannotCreate(publicPath, err)
  }
  return { publicPath, secretPath, publicKey }
}

export async function main(args: string[]): Promise<number> {
  const options = parseKeygenArgs(args)
  if (options === 'help') {
    process.stdout.write(HELP)
    return 0
  }
  const { publicPath, secretPath, publicKey } = await keygen(options)
  process.stderr.write(`zeek-zmq-shipper keygen: wrote ${publicPath} (public) and ${secretPath} (secret, mode 0600)\n`)
  process.stdout.write(`${publicKey}\n`)
  return 0
}
