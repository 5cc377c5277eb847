// Stopping the native plane: the input stops, each endpoint gets up to its linger to send
// what it holds, and what is left is counted as dropped (reason shutdown) in the summary.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { bindAddress, publisher, subscriber, TRANSPORTS, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'
import { inputTook, NO_NATIVE, startNativePlane, unaccounted } from './native-plane.ts'

const messages = (from: number, n: number): Buffer[][] => Array.from({ length: n }, (_, i) => zeekMessage(from + i))

for (const transport of TRANSPORTS) {
  describe(`native shutdown over ${transport}`, { skip: NO_NATIVE }, () => {
    test('records queued for a subscriber that has just arrived are delivered within the linger', async (t) => {
      const plane = await startNativePlane(t, { ZEEK_ZMQ_LINGER_MS: '5000', ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, transport)}?name=out&mode=bind&hwm=10000` })
      const sent = messages(0, 2000)
      const pub = await publisher(t, plane.input)
      for (const message of sent) await pub.send(message)
      await inputTook(plane, 0, sent.length)
      const sub = await subscriber(t, { connect: plane.endpoint('out').address })
      const summaries = await plane.plane.stop() // the subscription arrives while the plane stops
      assert.deepEqual(summaries, [{ endpoint: 'out', sent: 2000, dropped: 0, left: 0, filtered: 0 }])
      assert.deepEqual(await sub.take(2000), sent)
      assert.equal(plane.plane.readiness().ready, false)
    })

    test('without a subscriber, what is held is dropped at the end of the linger and counted (shutdown)', async (t) => {
      const plane = await startNativePlane(t, {
        ZEEK_ZMQ_ENDPOINTS: [`${bindAddress(t, transport)}?name=held&mode=bind&linger=300`, `${bindAddress(t, transport)}?name=idle&mode=bind&linger=0&include=dns`].join(' '),
      })
      const pub = await publisher(t, plane.input)
      for (const message of messages(0, 250)) await pub.send(message)
      await inputTook(plane, 0, 250)
      const summaries = await plane.plane.stop()
      assert.deepEqual(summaries, [
        { endpoint: 'held', sent: 0, dropped: 250, left: 250, filtered: 0 },
        { endpoint: 'idle', sent: 0, dropped: 50, left: 50, filtered: 200 },
      ])
      const snapshot = plane.snapshot()
      assert.equal(snapshot.endpoints[0]!.dropped.shutdown, 250)
      assert.equal(snapshot.endpoints[0]!.queueRecords, 0)
      for (const i of [0, 1]) assert.equal(unaccounted(snapshot, i), 0)
    })

    test('a stalled subscriber: the linger runs out, sent + left is everything, nothing counted twice', async (t) => {
      const plane = await startNativePlane(t, { ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, transport)}?name=slow&mode=bind&hwm=50000&linger=200` })
      const sub = await subscriber(t, { connect: plane.endpoint('slow').address }, { stalled: true, receiveHighWaterMark: 10, receiveBufferSize: 4096 })
      await waitFor(() => plane.endpoint('slow').topics === 1, 'the subscription')
      const pub = await publisher(t, plane.input)
      const n = 20_000
      for (const message of messages(0, n)) await pub.send(message)
      await inputTook(plane, 0, n)
      const [summary] = await plane.plane.stop()
      assert.ok(summary!.left > 0, `records were left (${JSON.stringify(summary)})`)
      assert.equal(summary!.sent + summary!.left, n)
      assert.equal(summary!.dropped, summary!.left)
      assert.equal(unaccounted(plane.snapshot(), 0), 0)
      assert.ok(plane.endpoint('slow').fullPauses > 0, 'the full subscriber was waited for')
      sub.read()
    })
  })
}
