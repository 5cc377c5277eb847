// The Zeek container, built from zeek/Dockerfile, reading the demo capture with the
// shipper container beside it: they share the socket directory, Zeek's writer connects
// to the shipper's ipc input, and conn, dns, http, ssl and files records reach a
// subscriber on the shipper's bind-mode endpoint (on the host's loopback). Needs the
// zeek/zeek image, which the Zeek image is built on.

import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { Wait } from 'testcontainers'
import { sampleValue } from '../helpers/shipper.ts'
import { subscriber, waitFor } from '../helpers/sockets.ts'
import { buildShipperImage, buildZeekImage, ContainerOutput, dockerEngine, exitCode, freePorts, removeAfter, zeekBaseImage, ZEEK_VERSION } from './docker.ts'

const engine = await dockerEngine()
const skip = engine.reason ?? (await zeekBaseImage(engine.client!)).reason ?? false
const PATHS = ['conn', 'dns', 'http', 'ssl', 'files']

test(`the Zeek ${ZEEK_VERSION} container and the shipper: the demo capture's ${PATHS.join(', ')} records reach a subscriber`, { skip, timeout: 1_200_000 }, async (t) => {
  const client = engine.client!
  const [shipperImage, zeekImage] = await Promise.all([buildShipperImage(), buildZeekImage()])

  // The shared socket directory: the shipper (user node) creates the socket, Zeek (root) connects.
  const socketDir = mkdtempSync(join(tmpdir(), 'zzs-socket-'))
  chmodSync(socketDir, 0o1777)
  t.after(() => rmSync(socketDir, { recursive: true, force: true }))
  const mount = [{ source: socketDir, target: '/run/zeek-zmq', mode: 'rw' as const }]

  const [httpPort, endpointPort] = await freePorts(2)
  const shipper = await shipperImage
    .withNetworkMode('host')
    .withBindMounts(mount)
    .withEnvironment({
      ZEEK_ZMQ_ENDPOINTS: `tcp://127.0.0.1:${endpointPort}?name=test&mode=bind&hwm=100000`,
      ZEEK_ZMQ_HTTP_HOST: '127.0.0.1',
      ZEEK_ZMQ_HTTP_PORT: String(httpPort),
    })
    .withWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(60_000)
    .start()
  removeAfter(t, client, shipper)
  const sub = await subscriber(t, { connect: `tcp://127.0.0.1:${endpointPort}` })

  const zeekOutput = new ContainerOutput()
  const zeek = await zeekImage
    .withBindMounts(mount)
    .withEnvironment({ ZEEK_PCAP: '/opt/zeek-zmq-shipper/demo.pcap', ZEEK_SHIPPER_WAIT_S: '30' })
    .withLogConsumer(zeekOutput.consume)
    .withWaitStrategy(Wait.forLogMessage(/zeek-zmq-shipper: \d+ of \d+ log streams go to ipc:\/\/\/run\/zeek-zmq\/zeek\.sock/))
    .withStartupTimeout(120_000)
    .start()
  removeAfter(t, client, zeek)

  const seen = new Map<string, Record<string, unknown>[]>()
  await waitFor(
    () => {
      for (const [path, record] of sub.received.splice(0)) {
        const records = seen.get(path!.toString()) ?? []
        records.push(JSON.parse(record!.toString()) as Record<string, unknown>)
        seen.set(path!.toString(), records)
      }
      return PATHS.every((path) => seen.has(path))
    },
    `records of ${PATHS.join(', ')} (have ${[...seen.keys()].join(', ')})`,
    120_000,
    200,
  )

  // The records are Zeek's, for the demo traffic, with the plugin's epoch timestamps.
  const dns = seen.get('dns')!
  assert.ok(dns.some((r) => r.query === 'www.example.org'), JSON.stringify(dns))
  assert.ok(seen.get('http')!.some((r) => r.host === 'www.example.org' && r.uri === '/'), JSON.stringify(seen.get('http')))
  assert.ok(seen.get('ssl')!.some((r) => r.server_name === 'secure.example.net'), JSON.stringify(seen.get('ssl')))
  for (const records of seen.values()) for (const record of records) assert.equal(typeof record.ts, 'number')

  // Zeek finishes the capture and exits 0; the shipper counted what it forwarded.
  await waitFor(async () => (await client.container.inspect(client.container.getById(zeek.getId()))).State.Running === false, 'Zeek to finish the capture', 120_000, 500)
  assert.equal(await exitCode(client, zeek), 0, zeekOutput.text())
  const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()
  for (const path of ['conn', 'dns', 'http']) assert.ok(sampleValue(metrics, 'zeek_zmq_input_records_total', { path }) >= 1, `input records for ${path}`)
})
