// The shipper image, built from the project's Dockerfile and run as users run it: it
// becomes healthy, takes records on its tcp input, delivers them byte for byte to a
// bind-mode endpoint, counts them in /metrics, and on `docker stop` delivers what it
// still holds within linger and exits 0 with its summary. The container uses the host's
// network with every socket bound to 127.0.0.1, so all traffic stays on loopback.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Wait } from 'testcontainers'
import { sampleValue } from '../helpers/shipper.ts'
import { publisher, subscriber, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'
import { buildShipperImage, ContainerOutput, dockerEngine, exitCode, freePorts, removeAfter } from './docker.ts'

const { client, reason } = await dockerEngine()
// CI provides a Docker engine; there a missing engine is a failure, not a reason to skip.
const required = process.env.SHIPPER_TESTS_REQUIRE_DOCKER === '1'

test('a Docker engine answers where one is required', { skip: required ? false : 'SHIPPER_TESTS_REQUIRE_DOCKER is not 1' }, () => {
  assert.equal(reason, undefined)
})

test('the shipper image: healthy, byte-for-byte delivery, /metrics, and a clean stop within linger', { skip: reason ?? false, timeout: 600_000 }, async (t) => {
  const image = await buildShipperImage()
  const [httpPort, inputPort, endpointPort] = await freePorts(3)
  const output = new ContainerOutput()
  const container = await image
    .withNetworkMode('host')
    .withEnvironment({
      ZEEK_ZMQ_INPUTS: `tcp://127.0.0.1:${inputPort}`,
      ZEEK_ZMQ_ENDPOINTS: `tcp://127.0.0.1:${endpointPort}?name=collector&mode=bind&linger=8000`,
      ZEEK_ZMQ_HTTP_HOST: '127.0.0.1',
      ZEEK_ZMQ_HTTP_PORT: String(httpPort),
    })
    .withLogConsumer(output.consume)
    // The image's own HEALTHCHECK (node's fetch of /readyz) decides readiness.
    .withWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(60_000)
    .start()
  removeAfter(t, client!, container)
  const http = `http://127.0.0.1:${httpPort}`
  const metric = async (name: string, labels: Record<string, string> = {}): Promise<number> => sampleValue(await (await fetch(`${http}/metrics`)).text(), name, labels)

  const readyz = await fetch(`${http}/readyz`)
  assert.equal(readyz.status, 200, await readyz.text())

  // Records published into the input reach the endpoint's subscriber, bytes unchanged.
  const first = await subscriber(t, { connect: `tcp://127.0.0.1:${endpointPort}` })
  await waitFor(async () => (await metric('zeek_zmq_endpoint_peers', { endpoint: 'collector' })) === 1, 'the subscriber on the endpoint', 15_000)
  const pub = await publisher(t, `tcp://127.0.0.1:${inputPort}`)
  const sent = Array.from({ length: 250 }, (_, i) => zeekMessage(i))
  for (const message of sent) await pub.send(message)
  const received = await first.take(sent.length, 15_000)
  assert.equal(received.length, sent.length)
  received.forEach((frames, i) => {
    assert.equal(frames.length, 2)
    assert.ok(frames[0]!.equals(sent[i]![0]) && frames[1]!.equals(sent[i]![1]), `message ${i} arrived changed`)
  })

  for (const path of ['conn', 'dns', 'http', 'ssl', 'files']) {
    assert.equal(await metric('zeek_zmq_input_records_total', { path }), 50, `input records for ${path}`)
    assert.equal(await metric('zeek_zmq_endpoint_sent_records_total', { endpoint: 'collector', path }), 50, `sent records for ${path}`)
  }

  // With no subscriber the endpoint holds what arrives; `docker stop` stops the input and
  // gives the endpoint its linger to deliver to a subscriber that connects meanwhile.
  first.socket.close()
  await waitFor(async () => (await metric('zeek_zmq_endpoint_peers', { endpoint: 'collector' })) === 0, 'the subscriber to leave', 15_000)
  const held = Array.from({ length: 40 }, (_, i) => zeekMessage(1000 + i))
  for (const message of held) await pub.send(message)
  await waitFor(async () => (await metric('zeek_zmq_endpoint_queue_records', { endpoint: 'collector' })) === held.length, 'the records to be held', 15_000)

  // docker stop sends SIGTERM and would SIGKILL (exit 137) after 30 s (timeout is in ms).
  const stopped = container.stop({ timeout: 30_000, remove: false })
  await output.waitFor(/"msg":"shutting down"/, 15_000)
  const late = await subscriber(t, { connect: `tcp://127.0.0.1:${endpointPort}` })
  const flushed = await late.take(held.length, 15_000)
  flushed.forEach((frames, i) => {
    assert.ok(frames[0]!.equals(held[i]![0]) && frames[1]!.equals(held[i]![1]), `held message ${i} arrived changed`)
  })
  await stopped

  assert.equal(await exitCode(client!, container), 0, output.text())
  const summaries = output.jsonLines().filter((line) => line.msg === 'endpoint summary')
  assert.equal(summaries.length, 1, output.text())
  assert.deepEqual(
    { endpoint: summaries[0]!.endpoint, sent: summaries[0]!.sent, dropped: summaries[0]!.dropped, left: summaries[0]!.left, filtered: summaries[0]!.filtered },
    { endpoint: 'collector', sent: sent.length + held.length, dropped: 0, left: 0, filtered: 0 },
  )
})
