// A connect-mode endpoint with curve=client delivers to a pyzmq CURVE server; one whose
// server_key is another server's certificate delivers nothing, and says so: a log line,
// no peer, its records held.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { spawnShipper } from '../cli/cli-process.ts'
import { ipcDir, publisher, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'
import { assertNoSecrets, metric, NO_PYZMQ, pyzmqCertificates, pyzmqPeer } from '../helpers/pyzmq.ts'

test('curve=client&server_key=PATH: delivers to the CURVE server; a wrong server_key delivers nothing, visibly', { skip: NO_PYZMQ }, async (t) => {
  const dir = ipcDir(t)
  const shipperCert = pyzmqCertificates(dir, 'sensor')
  const collectorCert = pyzmqCertificates(dir, 'collector')
  const otherCert = pyzmqCertificates(dir, 'other')
  const collector = await pyzmqPeer(t, { role: 'server', bind: 'tcp://127.0.0.1', cert: collectorCert.secretPath })
  const misled = await pyzmqPeer(t, { role: 'server', bind: 'tcp://127.0.0.1', cert: collectorCert.secretPath })

  const shipper = spawnShipper(t, {
    ZEEK_ZMQ_INPUTS: 'tcp://127.0.0.1:*',
    ZEEK_ZMQ_CURVE_CERT: shipperCert.secretPath,
    ZEEK_ZMQ_ENDPOINTS: [
      `tcp://127.0.0.1:${collector.firstLine}?name=collector&curve=client&server_key=${collectorCert.publicPath}`,
      `tcp://127.0.0.1:${misled.firstLine}?name=misled&curve=client&server_key=${otherCert.publicPath}`,
    ].join(' '),
  })
  const { url } = (await shipper.logLine('shipper ready')) as { url: string }
  const input = (shipper.logs().find((l) => l.msg === 'input bound') as { inputs: string[] }).inputs[0]!
  await waitFor(async () => (await metric(url, 'zeek_zmq_endpoint_peers', { endpoint: 'collector' })) === 1, 'the CURVE handshake with the collector')

  const pub = await publisher(t, input)
  const messages = Array.from({ length: 100 }, (_, i) => zeekMessage(i))
  for (const message of messages) await pub.send(message)
  await waitFor(() => collector.messages().length >= 100, 'every record at the collector')
  assert.deepEqual(collector.messages(), messages, 'byte for byte, in order')

  const warning = await shipper.logLine('the CURVE handshake with the server failed: is server_key the public certificate of the server at this address?')
  assert.equal(warning.endpoint, 'misled')
  assert.equal(warning.serverKey, otherCert.publicKey.slice(0, 8))
  assert.equal(await metric(url, 'zeek_zmq_endpoint_peers', { endpoint: 'misled' }), 0)
  assert.equal(await metric(url, 'zeek_zmq_endpoint_queue_records', { endpoint: 'misled' }), 100, 'its records are held')
  assert.deepEqual(misled.messages(), [])

  process.kill(shipper.pid, 'SIGTERM')
  await shipper.exited
  assertNoSecrets(shipper, [shipperCert, collectorCert, otherCert])
})
