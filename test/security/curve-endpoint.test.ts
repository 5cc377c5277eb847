// A bind-mode endpoint with curve=server, clients=DIR and allow=CIDR, against subscribers
// none of us wrote (pyzmq) over tcp on loopback: the one with an admitted certificate gets
// every record byte for byte, held ones included; an unknown certificate, a subscriber
// without CURVE and one from a refused address get nothing, each counted with its reason;
// the peers gauge counts only the admitted one; no log line holds a secret key.

import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { spawnShipper } from '../cli/cli-process.ts'
import { ipcDir, publisher, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'
import { assertNoSecrets, metric, NO_PYZMQ, pyzmqCertificates, pyzmqPeer } from '../helpers/pyzmq.ts'

test('curve=server&clients=DIR&allow=CIDR: admitted, unknown, plain and refused-address subscribers', { skip: NO_PYZMQ }, async (t) => {
  const dir = ipcDir(t)
  const clients = join(dir, 'clients')
  const elsewhere = join(dir, 'elsewhere')
  mkdirSync(clients)
  mkdirSync(elsewhere)
  const shipperCert = pyzmqCertificates(dir, 'shipper')
  const admitted = pyzmqCertificates(clients, 'siem')
  const unknown = pyzmqCertificates(elsewhere, 'stranger')

  const shipper = spawnShipper(t, {
    ZEEK_ZMQ_INPUTS: 'tcp://127.0.0.1:*',
    ZEEK_ZMQ_CURVE_CERT: shipperCert.secretPath,
    ZEEK_ZMQ_ENDPOINTS: `tcp://127.0.0.1:*?name=secure&mode=bind&curve=server&clients=${clients}&allow=127.0.0.1/32`,
    ZEEK_ZMQ_LOG_LEVEL: 'debug',
  })
  const { url } = (await shipper.logLine('shipper ready')) as { url: string }
  const endpoint = (shipper.logs().find((l) => l.msg === 'endpoint open') as { address: string }).address
  const input = (shipper.logs().find((l) => l.msg === 'input bound') as { inputs: string[] }).inputs[0]!
  const rejected = (reason: string): Promise<number> => metric(url, 'zeek_zmq_auth_rejected_total', { socket: 'secure', reason })

  // Records before any subscriber: held for the admitted one, never handed to the others.
  const pub = await publisher(t, input)
  const held = Array.from({ length: 50 }, (_, i) => zeekMessage(i))
  for (const message of held) await pub.send(message)
  await waitFor(async () => (await metric(url, 'zeek_zmq_endpoint_queue_records', { endpoint: 'secure' })) === 50, '50 held records')

  const stranger = await pyzmqPeer(t, { role: 'sub', connect: endpoint, server_key: shipperCert.publicPath, cert: unknown.secretPath })
  const plain = await pyzmqPeer(t, { role: 'sub', connect: endpoint })
  const outsider = await pyzmqPeer(t, { role: 'sub', connect: endpoint, server_key: shipperCert.publicPath, cert: admitted.secretPath, source: '127.0.0.2' })
  await waitFor(async () => (await rejected('unknown_key')) > 0 && (await rejected('mechanism')) > 0 && (await rejected('address')) > 0, 'a refusal of each reason')
  assert.equal(await metric(url, 'zeek_zmq_endpoint_peers', { endpoint: 'secure' }), 0, 'refused peers are not peers')
  assert.equal(await metric(url, 'zeek_zmq_endpoint_queue_records', { endpoint: 'secure' }), 50, 'held records stay held')

  const siem = await pyzmqPeer(t, { role: 'sub', connect: endpoint, server_key: shipperCert.publicPath, cert: admitted.secretPath })
  await waitFor(() => siem.messages().length >= 50, 'the held records at the admitted subscriber')
  const more = Array.from({ length: 50 }, (_, i) => zeekMessage(50 + i))
  for (const message of more) await pub.send(message)
  await waitFor(() => siem.messages().length >= 100, 'every record at the admitted subscriber')
  assert.deepEqual(siem.messages(), [...held, ...more], 'byte for byte, in order')
  assert.equal(await metric(url, 'zeek_zmq_endpoint_peers', { endpoint: 'secure' }), 1)

  // Refusals while an admitted peer is connected leave it the only peer.
  const before = (await rejected('mechanism')) + (await rejected('unknown_key'))
  const late = [
    await pyzmqPeer(t, { role: 'sub', connect: endpoint }),
    await pyzmqPeer(t, { role: 'sub', connect: endpoint, server_key: shipperCert.publicPath, cert: unknown.secretPath }),
  ]
  await waitFor(async () => (await rejected('mechanism')) + (await rejected('unknown_key')) >= before + 2, 'two more refusals')
  assert.equal(await metric(url, 'zeek_zmq_endpoint_peers', { endpoint: 'secure' }), 1, 'still only the admitted peer')

  for (const refused of [stranger, plain, outsider, ...late]) assert.deepEqual(refused.messages(), [])
  assert.equal(await rejected('handshake'), 0)

  // Logged with the address and a key prefix, rate-limited.
  const refusals = shipper.logs().filter((l) => l.msg === 'refused a peer')
  const byReason = new Map(refusals.map((l) => [l.reason, l]))
  assert.equal(byReason.get('unknown_key')?.key, unknown.publicKey.slice(0, 8))
  assert.equal(byReason.get('unknown_key')?.peer, '127.0.0.1')
  assert.equal(byReason.get('address')?.peer, '127.0.0.2')
  assert.ok(byReason.has('mechanism'))

  process.kill(shipper.pid, 'SIGTERM')
  assert.equal((await shipper.exited).code, 0)
  assertNoSecrets(shipper, [shipperCert, admitted, unknown])
})
