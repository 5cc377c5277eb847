// Subscribers connecting and vanishing mid-stream on a native endpoint: a subscriber that
// stays receives every record, in order, exactly as many as the endpoint counts as sent,
// and the accounting identity holds at the end.

import assert from 'node:assert/strict'
import { setTimeout as delay } from 'node:timers/promises'
import { describe, test } from 'node:test'
import { NO_PYZMQ, pyzmqPeer } from '../helpers/pyzmq.ts'
import { bindAddress, publisher, subscriber, TRANSPORTS, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'
import { inputTook, NO_NATIVE, startNativePlane, unaccounted } from './native-plane.ts'

const N = 10_000
const BATCH = 500

for (const transport of TRANSPORTS) {
  describe(`native subscriber churn over ${transport}`, { skip: NO_NATIVE || NO_PYZMQ }, () => {
    test('subscribers come and go while records flow; the one that stays gets them all, and the counters agree', async (t) => {
      const plane = await startNativePlane(t, { ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, transport)}?name=out&mode=bind&hwm=${N}` })
      const address = plane.endpoint('out').address
      const steady = await pyzmqPeer(t, { role: 'sub', connect: address })
      await waitFor(() => plane.endpoint('out').topics === 1, 'the steady subscription')
      const pub = await publisher(t, plane.input)

      const stream = Array.from({ length: N }, (_, i) => zeekMessage(i))
      let churned = 0
      for (let from = 0; from < N; from += BATCH) {
        // A subscriber arrives, reads a little or nothing, and vanishes while records flow.
        const passer = await subscriber(t, { connect: address }, { topics: from % 1000 === 0 ? [''] : ['dns'] })
        for (const message of stream.slice(from, from + BATCH)) await pub.send(message)
        await delay(5)
        passer.socket.close()
        churned++
      }
      await inputTook(plane, 0, N)
      await waitFor(() => steady.messages().length >= N, `the steady subscriber to receive ${N} (has ${steady.messages().length})`, 30_000)
      assert.deepEqual(steady.messages(), stream)
      await waitFor(() => plane.endpoint('out').peers === 1, 'the passing subscribers to be gone')

      const snapshot = plane.snapshot()
      const out = snapshot.endpoints[0]!
      assert.equal(out.sent, N)
      assert.equal(out.filtered, 0)
      assert.equal(out.dropped.queue_full + out.dropped.memory_limit, 0)
      assert.equal(out.queueRecords, 0)
      assert.equal(out.topics, 1)
      assert.equal(unaccounted(snapshot, 0), 0)
      t.diagnostic(`${churned} subscribers came and went`)
    })
  })
}
