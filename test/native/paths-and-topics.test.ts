// The native plane's bounded sets: idle paths are forgotten (their sends kept in the
// endpoint's total) so that real paths get in again, and a subscriber past
// ZEEK_ZMQ_MAX_SUBSCRIPTIONS, or repeating subscriptions past its allowance, is refused,
// counted, and rid of by dropping the endpoint's connections, after which subscribers come
// back and records flow again.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { XSubscriber } from 'zeromq'
import { bindAddress, publisher, subscriber, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'
import { inputTook, NO_NATIVE, startNativePlane, unaccounted } from './native-plane.ts'

test('native: idle paths are forgotten, their sends kept in the total, and new paths are accepted again', { skip: NO_NATIVE }, async (t) => {
  const plane = await startNativePlane(t, { ZEEK_ZMQ_PATH_IDLE_S: '1', ZEEK_ZMQ_MAX_PATHS: '3', ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, 'ipc')}?name=out&mode=bind` })
  const sub = await subscriber(t, { connect: plane.endpoint('out').address })
  await waitFor(() => plane.endpoint('out').topics === 1, 'the subscription')
  const pub = await publisher(t, plane.input)
  const junk = Array.from({ length: 5 }, (_, n) => [Buffer.from(`junk${n}`), Buffer.from('{}')])
  for (const message of junk) await pub.send(message)
  await inputTook(plane, 0, 5)
  await sub.take(3)
  assert.equal(plane.snapshot().input.rejected.too_many_paths, 2)

  // Swept every quarter of the idle time: gone within 1.5 times of it.
  await waitFor(() => plane.snapshot().paths.length === 0, 'the junk paths to expire', 5000)
  const out = plane.endpoint('out')
  assert.equal(out.sent, 3, 'sends of forgotten paths stay in the total')
  assert.deepEqual(out.sentByPath, [])

  const real = Array.from({ length: 10 }, (_, i) => zeekMessage(i))
  const before = plane.inputSeen() // the forgotten paths' records have left the table
  for (const message of real) await pub.send(message)
  await inputTook(plane, before, real.length)
  // conn, dns and http take the three places; ssl and files are refused.
  assert.deepEqual((await sub.take(9)).slice(3), real.filter((_, i) => i % 5 < 3))
  const snapshot = plane.snapshot()
  assert.equal(snapshot.paths.length, 3, 'three of the five real paths fit')
  assert.equal(snapshot.input.rejected.too_many_paths, 2 + 4)
  assert.equal(snapshot.endpoints[0]!.sent, 3 + 6)
})

test('native: a subscriber past ZEEK_ZMQ_MAX_SUBSCRIPTIONS is refused and counted; the endpoint drops its connections and comes back', { skip: NO_NATIVE }, async (t) => {
  const plane = await startNativePlane(t, { ZEEK_ZMQ_MAX_SUBSCRIPTIONS: '3', ZEEK_ZMQ_ENDPOINTS: `tcp://127.0.0.1:*?name=out&mode=bind` })
  const address = plane.endpoint('out').address
  const greedy = await subscriber(t, { connect: address }, { topics: ['a', 'b', 'c', 'd', 'e'] })
  await waitFor(() => plane.endpoint('out').resets >= 1, 'the reset')
  greedy.socket.close()
  const out = plane.endpoint('out')
  assert.ok(out.subscriptionsRejected.too_many_subscriptions >= 1)
  assert.equal(out.subscriptionsRejected.topic_too_large, 0)

  await waitFor(() => plane.endpoint('out').open && plane.endpoint('out').topics === 0, 'the endpoint to reopen', 15_000)
  assert.equal(plane.endpoint('out').address, address, 'the same address, the port subscribers know')
  const sub = await subscriber(t, { connect: address })
  await waitFor(() => plane.endpoint('out').topics === 1, 'a new subscription', 15_000)
  const pub = await publisher(t, plane.input)
  const records = Array.from({ length: 20 }, (_, i) => zeekMessage(i))
  for (const message of records) await pub.send(message)
  await inputTook(plane, 0, 20)
  assert.deepEqual(await sub.take(20), records)
  assert.equal(unaccounted(plane.snapshot(), 0), 0)
  assert.equal(plane.plane.readiness().ready, true)
})

test('native: a peer repeating one subscription past its allowance is cut off with every connection (subscription_flood)', { skip: NO_NATIVE }, async (t) => {
  const plane = await startNativePlane(t, { ZEEK_ZMQ_MAX_SUBSCRIPTIONS: '2', ZEEK_ZMQ_ENDPOINTS: `tcp://127.0.0.1:*?name=out&mode=bind` })
  const repeater = new XSubscriber({ linger: 0 })
  t.after(() => repeater.close())
  repeater.connect(plane.endpoint('out').address)
  // The allowance: 2 topics x (16 + 1 peer) messages that change nothing, in a minute.
  for (let i = 0; i < 100; i++) await repeater.send(Buffer.from([1, 0x61]))
  await waitFor(() => plane.endpoint('out').subscriptionsRejected.subscription_flood === 1, 'the flood to be refused')
  assert.ok(plane.endpoint('out').resets >= 1)
  assert.equal(plane.endpoint('out').subscriptionsRejected.too_many_subscriptions, 0)
})
