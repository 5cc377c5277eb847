// The clients a CURVE server admits: the public certificates (every *.key file) in one
// directory, as pyzmq's and CZMQ's authenticators read them.

import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { CertificateProblem, readPublicCertificate } from './certificate.ts'

/** More certificates than this in one directory is a mistake (a wrong directory), not a deployment. */
export const MAX_CLIENT_KEYS = 10_000

/** The public keys (Z85) of every *.key certificate in `dir`. */
export function readClientKeys(dir: string): ReadonlySet<string> {
  let names: string[]
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.key')).sort()
  } catch (err) {
    throw new CertificateProblem(`cannot read the clients directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  if (names.length === 0) throw new CertificateProblem(`the clients directory ${dir} holds no *.key certificate: no client could connect`)
  if (names.length > MAX_CLIENT_KEYS) throw new CertificateProblem(`the clients directory ${dir} holds ${names.length} certificates; at most ${MAX_CLIENT_KEYS} are read`)
  return new Set(names.map((name) => readPublicCertificate(join(dir, name))))
}
