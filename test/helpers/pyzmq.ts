// pyzmq (Debian's python3-zmq) as the peer in the CURVE tests: certificates written by
// zmq.auth, and subscribers, publishers and CURVE servers run as processes of their own.

import { spawnSync } from 'node:child_process'
import { chmodSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'
import { spawnProcess, type CliProcess } from '../cli/cli-process.ts'
import { sampleValue } from './shipper.ts'

export const PYTHON = '/usr/bin/python3'
const PEER = fileURLToPath(new URL('./pyzmq-peer.py', import.meta.url))

const probe = spawnSync(PYTHON, ['-c', 'import zmq, zmq.auth; assert zmq.has("curve")'], { encoding: 'utf8' })
/** Why the CURVE tests cannot run here, or false when they can. */
export const NO_PYZMQ: string | false = probe.status === 0 ? false : `${PYTHON} cannot import zmq with CURVE (zmq.auth): install Debian's python3-zmq`

export interface CertificatePair {
  readonly publicPath: string
  readonly secretPath: string
  readonly publicKey: string
  readonly secretKey: string
}

/** zmq.auth.create_certificates(dir, name); the secret one made 0600 (pyzmq leaves it to the umask). */
export function pyzmqCertificates(dir: string, name: string): CertificatePair {
  const script = 'import sys, zmq.auth\np, s = zmq.auth.create_certificates(sys.argv[1], sys.argv[2])\nprint(*(k.decode() for k in zmq.auth.load_certificate(s)))'
  const result = spawnSync(PYTHON, ['-c', script, dir, name], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(result.stderr)
  const [publicKey, secretKey] = result.stdout.trim().split(' ') as [string, string]
  const secretPath = join(dir, `${name}.key_secret`)
  chmodSync(secretPath, 0o600)
  return { publicPath: join(dir, `${name}.key`), secretPath, publicKey, secretKey }
}

/** zmq.auth.load_certificate(path): [public, secret or null]. */
export function pyzmqLoadCertificate(path: string): [string, string | null] {
  const script = 'import sys, json, zmq.auth\np, s = zmq.auth.load_certificate(sys.argv[1])\nprint(json.dumps([p.decode(), s.decode() if s else None]))'
  const result = spawnSync(PYTHON, ['-c', script, path], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(result.stderr)
  return JSON.parse(result.stdout) as [string, string | null]
}

export interface PeerSpec {
  readonly role: 'sub' | 'server' | 'pub'
  readonly connect?: string
  readonly bind?: string
  readonly server_key?: string
  readonly cert?: string
  readonly source?: string
  readonly path?: string
  readonly count?: number
}

export interface PyzmqPeer {
  readonly process: CliProcess
  /** Messages received so far, each [path, record]. */
  messages(): Buffer[][]
}

/**
 * Starts a pyzmq peer and waits until its socket is set up; killed after the test.
 * `inside` runs it elsewhere, such as in a network namespace (see netns.ts).
 */
export async function pyzmqPeer(t: TestContext, spec: PeerSpec, inside: (command: string[]) => string[] = (command) => command): Promise<PyzmqPeer & { firstLine: string }> {
  const [program, ...args] = inside([PYTHON, PEER, JSON.stringify(spec)])
  const child = spawnProcess(t, program!, args, { PATH: process.env.PATH ?? '' })
  const [firstLine] = await child.stdoutLines(1)
  return {
    process: child,
    firstLine: firstLine!,
    messages: () =>
      child
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('['))
        .map((line) => (JSON.parse(line) as string[]).map((frame) => Buffer.from(frame, 'base64'))),
  }
}

/** One sample of a spawned shipper's /metrics. */
export async function metric(url: string, name: string, labels: Record<string, string>): Promise<number> {
  return sampleValue(await (await fetch(`${url}/metrics`)).text(), name, labels)
}

/** No secret key of the test, and no public key whole (only its first 8 characters), in anything the shipper wrote. */
export function assertNoSecrets(shipper: CliProcess, pairs: readonly CertificatePair[]): void {
  const output = shipper.stdout() + shipper.stderr()
  for (const pair of pairs) {
    assert.ok(!output.includes(pair.secretKey), `the secret key of ${pair.secretPath} is in the shipper's output`)
    assert.ok(!output.includes(pair.publicKey), `the public key of ${pair.publicPath} is in the shipper's output whole`)
  }
}
