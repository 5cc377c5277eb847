// Sensor -> relay over CURVE: a sensor's shipper forwards with an endpoint in connect mode
// (curve=client) into a relay's input with curve=server&clients=DIR. A plain publisher at
// the same input is refused, counted, and none of its records is forwarded. The relay also
// binds a plain ipc input after the CURVE one: its options are the ipc listener's own.

import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { spawnShipper } from '../cli/cli-process.ts'
import { ipcDir, publisher, subscriber, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'
import { assertNoSecrets, metric, NO_PYZMQ, pyzmqPeer } from '../helpers/pyzmq.ts'
import { spawnKeygen } from '../cli/keygen-process.ts'

test('a relay input with curve=server: a sensor shipper delivers over CURVE; a plain publisher is refused', { skip: NO_PYZMQ }, async (t) => {
  const dir = ipcDir(t)
  const sensors = join(dir, 'sensors')
  mkdirSync(sensors)
  const relayCert = await spawnKeygen(t, 'relay', dir)
  const sensorCert = await spawnKeygen(t, 'sensor-1', sensors)
  const local = `ipc://${join(dir, 'relay-local.sock')}`

  const relay = spawnShipper(t, {
    ZEEK_ZMQ_INPUTS: `tcp://127.0.0.1:*?curve=server&clients=${sensors} ${local}`,
    ZEEK_ZMQ_CURVE_CERT: relayCert.secretPath,
    ZEEK_ZMQ_ENDPOINTS: 'tcp://127.0.0.1:*?name=out&mode=bind',
  })
  const { url: relayUrl } = (await relay.logLine('shipper ready')) as { url: string }
  const [relayInput] = (relay.logs().find((l) => l.msg === 'input bound') as { inputs: string[] }).inputs
  const relayOut = (relay.logs().find((l) => l.msg === 'endpoint open') as { address: string }).address
  const collector = await subscriber(t, { connect: relayOut })
  await waitFor(async () => (await metric(relayUrl, 'zeek_zmq_endpoint_peers', { endpoint: 'out' })) === 1, 'the collector at the relay')

  const zeek = `ipc://${join(dir, 'sensor.sock')}`
  const sensor = spawnShipper(t, {
    ZEEK_ZMQ_INPUTS: zeek,
    ZEEK_ZMQ_CURVE_CERT: sensorCert.secretPath,
    ZEEK_ZMQ_ENDPOINTS: `${relayInput}?name=relay&curve=client&server_key=${relayCert.publicPath}`,
  })
  const { url: sensorUrl } = (await sensor.logLine('shipper ready')) as { url: string }
  await waitFor(async () => (await metric(sensorUrl, 'zeek_zmq_endpoint_peers', { endpoint: 'relay' })) === 1, 'the sensor at the relay')

  const forger = await pyzmqPeer(t, { role: 'pub', connect: relayInput!, path: 'forged', count: 200 })
  const sensorPub = await publisher(t, zeek)
  const messages = Array.from({ length: 200 }, (_, i) => zeekMessage(i))
  for (const message of messages) await sensorPub.send(message)
  await waitFor(() => collector.received.length >= 200, 'every sensor record at the collector behind the relay')
  await forger.process.stdoutLines(2, 20_000) // "ready", then "done": it published everything it had
  await waitFor(async () => (await metric(relayUrl, 'zeek_zmq_auth_rejected_total', { socket: 'input', reason: 'mechanism' })) > 0, 'the plain publisher refused and counted')

  // The relay's plain local input still takes a plain publisher.
  const localPub = await publisher(t, local)
  await localPub.send(zeekMessage(200))
  await waitFor(() => collector.received.length >= 201, 'the local record')

  assert.deepEqual(collector.received, [...messages, zeekMessage(200)], 'the sensor records byte for byte, nothing forged')
  assert.equal(await metric(relayUrl, 'zeek_zmq_input_records_total', { path: 'forged' }), 0)

  for (const shipper of [sensor, relay]) {
    process.kill(shipper.pid, 'SIGTERM')
    await shipper.exited
    assertNoSecrets(shipper, [relayCert, sensorCert])
  }
})
