// `zeek-zmq-shipper keygen`: certificates pyzmq reads, a secret one of mode 0600, no
// overwriting; and certificates pyzmq writes are read by the shipper.

import assert from 'node:assert/strict'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { inspect } from 'node:util'
import { loadConfig } from '../../src/config/load-config.ts'
import { readPublicCertificate } from '../../src/security/certificate.ts'
import { ipcDir } from '../helpers/sockets.ts'
import { NO_PYZMQ, pyzmqCertificates, pyzmqLoadCertificate } from '../helpers/pyzmq.ts'
import { spawnCli } from './cli-process.ts'

test('keygen NAME --dir DIR: pyzmq reads both files; the secret one is 0600; the public key is printed', { skip: NO_PYZMQ }, async (t) => {
  const dir = ipcDir(t)
  const keygen = spawnCli(t, ['keygen', 'sensor-1', '--dir', dir])
  assert.equal((await keygen.exited).code, 0, keygen.stderr())
  const printed = keygen.stdout().trim()
  const [publicKey, noSecret] = pyzmqLoadCertificate(join(dir, 'sensor-1.key'))
  const [samePublic, secretKey] = pyzmqLoadCertificate(join(dir, 'sensor-1.key_secret'))
  assert.equal(printed, publicKey)
  assert.equal(samePublic, publicKey)
  assert.equal(noSecret, null, 'the public certificate holds no secret key')
  assert.equal(statSync(join(dir, 'sensor-1.key_secret')).mode & 0o777, 0o600)
  assert.ok(!(keygen.stdout() + keygen.stderr()).includes(secretKey!), 'the secret key is never printed')
  // The shipper takes it as its certificate.
  assert.equal(loadConfig({ ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_CURVE_CERT: join(dir, 'sensor-1.key_secret') }).curveCert?.publicKey, publicKey)
})

test('keygen refuses to overwrite either file, and leaves both as they were', async (t) => {
  const dir = ipcDir(t)
  const first = spawnCli(t, ['keygen', 'relay', '--dir', dir])
  assert.equal((await first.exited).code, 0)
  const before = [readFileSync(join(dir, 'relay.key'), 'utf8'), readFileSync(join(dir, 'relay.key_secret'), 'utf8')]
  const again = spawnCli(t, ['keygen', 'relay', '--dir', dir])
  assert.equal((await again.exited).code, 1)
  assert.match(again.stderr(), /relay\.key_secret: it exists, and keygen never overwrites a key/)
  assert.deepEqual([readFileSync(join(dir, 'relay.key'), 'utf8'), readFileSync(join(dir, 'relay.key_secret'), 'utf8')], before)

  // Only the public one there (handed out earlier): no secret one is left behind either.
  writeFileSync(join(dir, 'other.key'), before[0]!)
  const half = spawnCli(t, ['keygen', 'other', '--dir', dir])
  assert.equal((await half.exited).code, 1)
  assert.match(half.stderr(), /other\.key: it exists/)
  assert.throws(() => statSync(join(dir, 'other.key_secret')), /ENOENT/)
})

test('keygen without NAME, with a NAME that is a path, or two NAMEs: exit 64', async (t) => {
  for (const args of [['keygen'], ['keygen', '../x'], ['keygen', 'a', 'b']]) {
    const keygen = spawnCli(t, args)
    assert.equal((await keygen.exited).code, 64, args.join(' '))
  }
})

test('certificates written by zmq.auth.create_certificates are read by the shipper', { skip: NO_PYZMQ }, (t) => {
  const dir = ipcDir(t)
  const pair = pyzmqCertificates(dir, 'collector')
  assert.equal(readPublicCertificate(pair.publicPath), pair.publicKey)
  const config = loadConfig({ ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_CURVE_CERT: pair.secretPath })
  assert.equal(config.curveCert?.publicKey, pair.publicKey)
  assert.equal(config.curveCert?.secretKey(), pair.secretKey)
  // Nothing that prints the configuration shows the secret key.
  assert.ok(!JSON.stringify(config).includes(pair.secretKey))
  assert.ok(!inspect(config, { depth: 10 }).includes(pair.secretKey))
})
