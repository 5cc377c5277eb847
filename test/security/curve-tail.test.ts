// tail reads a CURVE-protected endpoint: with its own certificate among the endpoint's
// clients, or with a throwaway key pair where the endpoint admits any CURVE client.

import assert from 'node:assert/strict'
import { chmodSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { spawnCli } from '../cli/cli-process.ts'
import { spawnKeygen } from '../cli/keygen-process.ts'
import { startShipper } from '../helpers/shipper.ts'
import { ipcDir, publisher, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'

test('tail --curve-server-key [--curve-cert]: prints what a CURVE endpoint sends', async (t) => {
  const dir = ipcDir(t)
  const clients = join(dir, 'clients')
  mkdirSync(clients)
  const shipperCert = await spawnKeygen(t, 'shipper', dir)
  const tailCert = await spawnKeygen(t, 'operator', clients)
  const shipper = await startShipper(t, {
    ZEEK_ZMQ_CURVE_CERT: shipperCert.secretPath,
    ZEEK_ZMQ_ENDPOINTS: `tcp://127.0.0.1:*?name=known&mode=bind&curve=server&clients=${clients} tcp://127.0.0.1:*?name=any&mode=bind&curve=server&clients=*`,
  })
  const known = spawnCli(t, ['tail', shipper.endpoint('known').address, '--curve-server-key', shipperCert.publicPath, '--curve-cert', tailCert.secretPath])
  const any = spawnCli(t, ['tail', shipper.endpoint('any').address, '--curve-server-key', shipperCert.publicPath])
  const stranger = spawnCli(t, ['tail', shipper.endpoint('known').address, '--curve-server-key', shipperCert.publicPath])
  await waitFor(() => shipper.endpoint('known').peers === 1 && shipper.endpoint('any').peers === 1, 'both tails connected')
  await waitFor(async () => (await shipper.metric('zeek_zmq_auth_rejected_total', { socket: 'known', reason: 'unknown_key' })) > 0, 'the tail without a known key refused')

  const pub = await publisher(t, shipper.input)
  const [path, record] = zeekMessage(0)
  await pub.send([path, record])
  const [line] = await known.stdoutLines(1)
  assert.equal(line, `{"_path":"${path.toString()}",${record.toString().slice(1)}`)
  assert.deepEqual(await any.stdoutLines(1), [line])
  assert.equal(stranger.stdout(), '')
  await stranger.stderrMatching(/the CURVE handshake failed: is --curve-server-key the endpoint's public certificate, and --curve-cert among its clients\?/)
})

test('tail: --curve-cert alone, CURVE with --bind, or a secret certificate others may read: exit 64', async (t) => {
  const dir = ipcDir(t)
  const cert = await spawnKeygen(t, 'operator', dir)
  const open = await spawnKeygen(t, 'open', dir)
  chmodSync(open.secretPath, 0o644)
  const cases: Array<[string[], RegExp]> = [
    [['--curve-cert', cert.secretPath], /--curve-cert needs --curve-server-key/],
    [['--bind', '--curve-server-key', cert.publicPath], /does not go with --bind/],
    [['--curve-server-key', cert.publicPath, '--curve-cert', open.secretPath], /open.key_secret holds a secret key and may be read or changed by others/],
    [['--curve-server-key', join(dir, 'missing.key')], /cannot read .*missing.key: ENOENT/],
  ]
  for (const [args, pattern] of cases) {
    const tail = spawnCli(t, ['tail', 'tcp://127.0.0.1:5556', ...args])
    assert.equal((await tail.exited).code, 64, args.join(' '))
    assert.match(tail.stderr(), pattern)
    assert.ok(!tail.stderr().includes(open.secretKey) && !tail.stderr().includes(cert.secretKey))
  }
})
