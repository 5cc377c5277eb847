// Paths that expire: junk paths fill the path table only until they have been idle for
// ZEEK_ZMQ_PATH_IDLE_S; then their series leave /metrics, their slots are reused, and
// Zeek's real paths are accepted again. A path with records still queued is kept until
// they leave the queue, so that every record stays accounted for under its own path.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { publishAll, samples, startShipper } from '../helpers/shipper.ts'
import { bindAddress, publisher, subscriber, waitFor } from '../helpers/sockets.ts'
import { zeekMessage, ZEEK_PATHS } from '../helpers/zeek-records.ts'

async function metrics(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text()
}

function pathsIn(text: string): string[] {
  return samples(text, 'zeek_zmq_input_records_total').map((sample) => /path="([^"]*)"/.exec(sample.labels)![1]!)
}

// Long enough for the flood below to be over, and the lock-out seen, before the first junk
// path can expire, even on a loaded machine (it takes well under a second).
const IDLE_S = 5

test('5,000 junk paths lock out real ones only until they expire; /metrics shrinks back', async (t) => {
  const shipper = await startShipper(t, {
    ZEEK_ZMQ_PATH_IDLE_S: String(IDLE_S),
    ZEEK_ZMQ_LINGER_MS: '0',
    ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, 'ipc')}?name=out&mode=bind`,
  })
  const sub = await subscriber(t, { connect: shipper.endpoint('out').address })
  await waitFor(() => shipper.endpoint('out').peers === 1, 'the subscriber')
  const pub = await publisher(t, shipper.input)
  const quiet = Buffer.byteLength(await metrics(shipper.url))

  await publishAll(shipper, pub, Array.from({ length: 5000 }, (_, n) => [Buffer.from(`junk${n}`), Buffer.from('{}')]))
  const flooded = await metrics(shipper.url)
  assert.equal(pathsIn(flooded).length, 1024, 'ZEEK_ZMQ_MAX_PATHS defaults to 1024')
  assert.equal(await shipper.metric('zeek_zmq_input_rejected_total', { reason: 'too_many_paths' }), 5000 - 1024)
  await publishAll(shipper, pub, [zeekMessage(0)])
  assert.equal(await shipper.metric('zeek_zmq_input_rejected_total', { reason: 'too_many_paths' }), 5000 - 1024 + 1, 'a full table refuses a real path')
  await sub.take(1024)

  // Swept every IDLE_S / 4: gone between IDLE_S and 1.5 IDLE_S after the last sighting.
  await waitFor(async () => pathsIn(await metrics(shipper.url)).length === 0, 'the junk paths to expire', 2 * IDLE_S * 1000)
  const expired = await metrics(shipper.url)
  assert.equal(samples(expired, 'zeek_zmq_endpoint_sent_records_total').length, 0, 'per-endpoint per-path series go too')
  assert.ok(Buffer.byteLength(expired) < quiet + 2048, `/metrics: ${quiet} bytes before, ${Buffer.byteLength(flooded)} flooded, ${Buffer.byteLength(expired)} after`)

  const real = Array.from({ length: 50 }, (_, i) => zeekMessage(i))
  await publishAll(shipper, pub, real)
  assert.deepEqual((await sub.take(1024 + 50)).slice(1024), real)
  assert.deepEqual(pathsIn(await metrics(shipper.url)).sort(), [...ZEEK_PATHS].sort())
  assert.equal(await shipper.metric('zeek_zmq_input_rejected_total', { reason: 'too_many_paths' }), 5000 - 1024 + 1)
})

test('a path whose records wait in a queue is kept until they are sent; accounting closes throughout', async (t) => {
  const address = bindAddress(t, 'ipc')
  const shipper = await startShipper(t, { ZEEK_ZMQ_PATH_IDLE_S: '1', ZEEK_ZMQ_ENDPOINTS: `${address}?name=held&mode=bind&hwm=10` })
  const pub = await publisher(t, shipper.input)
  const held = Array.from({ length: 10 }, (_, i) => [Buffer.from('held'), Buffer.from(`{"n":${i}}`)])
  await publishAll(shipper, pub, [...held, [Buffer.from('gone'), Buffer.from('{}')]])
  await waitFor(async () => !pathsIn(await metrics(shipper.url)).includes('gone'), 'the path "gone" to expire', 5000)

  // "held" has been idle as long as "gone", but its records are still queued.
  let text = await metrics(shipper.url)
  assert.deepEqual(pathsIn(text), ['held'])
  assert.equal(await shipper.metric('zeek_zmq_input_records_total', { path: 'held' }), 10)
  assert.equal(await shipper.metric('zeek_zmq_endpoint_queue_records', { endpoint: 'held' }), 10)

  const sub = await subscriber(t, { connect: shipper.endpoint('held').address })
  assert.deepEqual(await sub.take(10), held)
  text = await metrics(shipper.url)
  assert.equal(await shipper.metric('zeek_zmq_endpoint_sent_records_total', { endpoint: 'held', path: 'held' }), 10)
  await waitFor(async () => pathsIn(await metrics(shipper.url)).length === 0, 'the path "held" to expire once sent', 5000)
  const summary = await shipper.stop()
  assert.deepEqual(summary, [{ endpoint: 'held', sent: 10, dropped: 1, left: 0, filtered: 0 }])
})
