// `zeek-zmq-shipper keygen` as operators run it, for tests that need certificates.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { CertificatePair } from '../helpers/pyzmq.ts'
import { spawnCli } from './cli-process.ts'

/** Runs keygen NAME --dir DIR and returns the pair it wrote, read back from the files. */
export async function spawnKeygen(t: TestContext, name: string, dir: string): Promise<CertificatePair> {
  const keygen = spawnCli(t, ['keygen', name, '--dir', dir])
  const { code } = await keygen.exited
  if (code !== 0) throw new Error(`keygen exited ${code}: ${keygen.stderr()}`)
  const secretPath = join(dir, `${name}.key_secret`)
  const key = (which: string): string => new RegExp(`${which} = "(.{40})"`).exec(readFileSync(secretPath, 'utf8'))![1]!
  return { publicPath: join(dir, `${name}.key`), secretPath, publicKey: key('public-key'), secretKey: key('secret-key') }
}
