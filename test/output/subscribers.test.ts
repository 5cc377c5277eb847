// What subscribers do to an endpoint's view of them: repeated subscriptions, topics that
// arrive one after another.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { EndpointSnapshot } from '../../src/plane/data-plane.ts'
import { publishAll, startShipper } from '../helpers/shipper.ts'
import { bindAddress, publisher, subscriber, waitFor } from '../helpers/sockets.ts'
import { zeekMessage, zeekMessageFor } from '../helpers/zeek-records.ts'

test('a subscriber that subscribes twice and leaves: records are held again, not sent to nobody', async (t) => {
  const shipper = await startShipper(t, { ZEEK_ZMQ_LINGER_MS: '0', ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, 'ipc')}?name=out&mode=bind` })
  const endpoint = (): EndpointSnapshot => shipper.endpoint('out')
  const twice = await subscriber(t, { connect: endpoint().address })
  await waitFor(() => endpoint().peers === 1, 'the subscriber')
  // Once connected, each subscribe() goes to the shipper, repeats included.
  twice.socket.subscribe()
  const pub = await publisher(t, shipper.input)
  await publishAll(shipper, pub, [zeekMessage(0)])
  await twice.take(1)

  twice.socket.close()
  await waitFor(() => endpoint().peers === 0, 'the subscriber to leave')
  await publishAll(shipper, pub, Array.from({ length: 10 }, (_, i) => zeekMessage(1 + i)))
  // Give a wrongly counted "subscriber" every chance to take the records.
  await new Promise((resolve) => setTimeout(resolve, 200))
  assert.equal(endpoint().queueRecords, 10)
  assert.equal(endpoint().sent, 1)
})

test("held records are judged against all of a new subscriber's topics, not only the first to arrive", async (t) => {
  const shipper = await startShipper(t, { ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, 'ipc')}?name=out&mode=bind` })
  const held = [...Array.from({ length: 50 }, (_, i) => zeekMessageFor('conn', i)), ...Array.from({ length: 50 }, (_, i) => zeekMessageFor('dns', i))]
  await publishAll(shipper, await publisher(t, shipper.input), held)
  assert.equal(shipper.endpoint('out').queueRecords, 100)

  const sub = await subscriber(t, { connect: shipper.endpoint('out').address }, { topics: ['dns', 'conn'] })
  assert.deepEqual(await sub.take(100), held)
  assert.equal(shipper.endpoint('out').filtered, 0)
})

