// Records are held while an endpoint has no subscriber, dropped (and counted) only when its
// queue is full, and delivered to the next subscriber that arrives.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { publishAll, startShipper } from '../helpers/shipper.ts'
import { bindAddress, boundAt, publisher, subscriber, TRANSPORTS, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'

const messages = (from: number, n: number): Buffer[][] => Array.from({ length: n }, (_, i) => zeekMessage(from + i))

for (const transport of TRANSPORTS) {
  describe(`holding and dropping over ${transport}`, () => {
    test('records are held until the first subscriber arrives; past hwm exactly the excess is dropped', async (t) => {
      const hwm = 100
      const excess = 37
      const shipper = await startShipper(t, { ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, transport)}?name=late&mode=bind&hwm=${hwm}` })
      const sent = messages(0, hwm + excess)
      await publishAll(shipper, await publisher(t, shipper.input), sent)

      assert.equal(await shipper.metric('zeek_zmq_endpoint_queue_records', { endpoint: 'late' }), hwm)
      assert.equal(await shipper.metric('zeek_zmq_endpoint_queue_capacity_records', { endpoint: 'late' }), hwm)
      assert.equal(await shipper.metric('zeek_zmq_endpoint_dropped_records_total', { endpoint: 'late', reason: 'queue_full' }), excess)
      assert.equal(await shipper.metric('zeek_zmq_endpoint_sent_bytes_total', { endpoint: 'late' }), 0)

      // The newest records were the ones dropped: the subscriber gets the first hwm.
      const sub = await subscriber(t, { connect: shipper.endpoint('late').address })
      assert.deepEqual(await sub.take(hwm), sent.slice(0, hwm))
      assert.equal((await sub.quiet(200)).length, hwm)
      assert.equal(await shipper.metric('zeek_zmq_endpoint_queue_records', { endpoint: 'late' }), 0)
      assert.equal(await shipper.metric('zeek_zmq_endpoint_peers', { endpoint: 'late' }), 1)
    })

    test('connect mode: records published before the subscriber binds reach it once it does', async (t) => {
      const address = transport === 'tcp' ? await freeTcpAddress(t) : bindAddress(t, transport)
      const shipper = await startShipper(t, { ZEEK_ZMQ_ENDPOINTS: `${address}?name=siem` })
      const early = messages(0, 50)
      await publishAll(shipper, await publisher(t, shipper.input), early)
      assert.equal(await shipper.metric('zeek_zmq_endpoint_queue_records', { endpoint: 'siem' }), 50)

      const sub = await subscriber(t, { bind: address })
      assert.deepEqual(await sub.take(50), early)
    })

    test('a subscriber that restarts gets what was published while it was away', async (t) => {
      const address = transport === 'tcp' ? await freeTcpAddress(t) : bindAddress(t, transport)
      const shipper = await startShipper(t, { ZEEK_ZMQ_ENDPOINTS: `${address}?name=siem` })
      const pub = await publisher(t, shipper.input)

      const first = await subscriber(t, { bind: address })
      await waitFor(() => shipper.endpoint('siem').peers === 1, 'the subscriber')
      await publishAll(shipper, pub, messages(0, 20))
      assert.deepEqual(await first.take(20), messages(0, 20))
      first.socket.close()
      await waitFor(() => shipper.endpoint('siem').peers === 0, 'the subscriber to go')

      await publishAll(shipper, pub, messages(20, 30))
      assert.equal(await shipper.metric('zeek_zmq_endpoint_queue_records', { endpoint: 'siem' }), 30)
      const second = await subscriber(t, { bind: address })
      assert.deepEqual(await second.take(30), messages(20, 30))
      assert.equal(await shipper.metric('zeek_zmq_endpoint_dropped_records_total', { endpoint: 'siem', reason: 'queue_full' }), 0)
    })

    test('bind mode: after the last subscriber leaves, records wait for the next one', async (t) => {
      const shipper = await startShipper(t, { ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, transport)}?name=out&mode=bind` })
      const pub = await publisher(t, shipper.input)
      const first = await subscriber(t, { connect: shipper.endpoint('out').address })
      await waitFor(() => shipper.endpoint('out').peers === 1, 'the first subscriber')
      await publishAll(shipper, pub, messages(0, 10))
      await first.take(10)
      first.socket.close()
      await waitFor(() => shipper.endpoint('out').peers === 0, 'the first subscriber to leave')

      await publishAll(shipper, pub, messages(10, 10))
      const second = await subscriber(t, { connect: shipper.endpoint('out').address })
      assert.deepEqual(await second.take(10), messages(10, 10))
    })

    test('a stalled subscriber costs drops on its own endpoint only, and every record is accounted for', async (t) => {
      const hwm = 50
      const stalled = await subscriber(t, { bind: bindAddress(t, transport) }, { receiveHighWaterMark: 10, receiveBufferSize: 4096, stalled: true })
      const healthy = await subscriber(t, { bind: bindAddress(t, transport) })
      const shipper = await startShipper(t, {
        ZEEK_ZMQ_HWM: String(hwm),
        ZEEK_ZMQ_ENDPOINTS: `${boundAt(stalled)}?name=stalled ${boundAt(healthy)}?name=healthy&hwm=100000`,
      })
      // The stalled subscriber reads once, so that its subscription goes out, then stops.
      stalled.read()
      await waitFor(() => shipper.endpoint('stalled').peers === 1 && shipper.endpoint('healthy').peers === 1, 'both subscribers')
      stalled.pause()

      const n = 20_000
      const sent = messages(0, n)
      await publishAll(shipper, await publisher(t, shipper.input), sent)
      assert.deepEqual(await healthy.take(n, 30_000), sent)

      const dropped = await shipper.metric('zeek_zmq_endpoint_dropped_records_total', { endpoint: 'stalled', reason: 'queue_full' })
      const queued = await shipper.metric('zeek_zmq_endpoint_queue_records', { endpoint: 'stalled' })
      const endpoint = shipper.endpoint('stalled')
      assert.ok(dropped > 0, 'the stalled endpoint dropped records')
      assert.ok(queued <= hwm, 'its queue never holds more than hwm')
      assert.equal(endpoint.sent + dropped + queued, n, 'sent + dropped + queued = input')
      assert.equal(await shipper.metric('zeek_zmq_endpoint_dropped_records_total', { endpoint: 'healthy', reason: 'queue_full' }), 0)

      // Resumed, the subscriber receives exactly what was not counted as dropped.
      stalled.read()
      await waitFor(async () => (await shipper.metric('zeek_zmq_endpoint_queue_records', { endpoint: 'stalled' })) === 0, 'the queue to drain')
      const received = await stalled.quiet(300)
      assert.equal(received.length, n - dropped)
    })
  })
}

/** A tcp address on loopback that nothing listens on yet (for a subscriber to bind later). */
async function freeTcpAddress(t: import('node:test').TestContext): Promise<string> {
  const probe = await subscriber(t, { bind: 'tcp://127.0.0.1:*' }, { stalled: true })
  const address = boundAt(probe)
  await probe.socket.unbind(address)
  probe.socket.close()
  return address
}
