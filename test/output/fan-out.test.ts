// Every record reaches each endpoint whose filters admit it, as the same two frames, bytes
// unchanged; over tcp and ipc, in both endpoint modes.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { startShipper, publishAll } from '../helpers/shipper.ts'
import { bindAddress, boundAt, publisher, subscriber, TRANSPORTS, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'

const N = 500

for (const transport of TRANSPORTS) {
  describe(`fan-out over ${transport}`, () => {
    test('three endpoints in both modes receive every record byte for byte, in order', async (t) => {
      // connect mode: the subscriber binds, as with the writer plugin.
      const subA = await subscriber(t, { bind: bindAddress(t, transport) })
      const subB = await subscriber(t, { bind: bindAddress(t, transport) })
      const shipper = await startShipper(t, {
        ZEEK_ZMQ_INPUTS: bindAddress(t, transport),
        ZEEK_ZMQ_ENDPOINTS: `${boundAt(subA)}?name=a ${boundAt(subB)}?name=b;${bindAddress(t, transport)}?name=c&mode=bind`,
      })
      const subC = await subscriber(t, { connect: shipper.endpoint('c').address })
      await waitFor(() => shipper.endpoint('a').peers + shipper.endpoint('b').peers + shipper.endpoint('c').peers === 3, 'three subscribers')

      const messages = Array.from({ length: N }, (_, i) => zeekMessage(i))
      await publishAll(shipper, await publisher(t, shipper.input), messages)

      for (const sub of [subA, subB, subC]) {
        const received = await sub.take(N)
        assert.deepEqual(received, messages)
      }
      assert.equal(await shipper.metric('zeek_zmq_endpoint_sent_records_total', { endpoint: 'c', path: 'dns' }), N / 5)
      const bytes = messages.reduce((sum, [path, record]) => sum + path!.length + record!.length, 0)
      assert.equal(await shipper.metric('zeek_zmq_input_bytes_total'), bytes)
      assert.equal(await shipper.metric('zeek_zmq_endpoint_sent_bytes_total', { endpoint: 'a' }), bytes)
    })

    test('include and exclude filters, with wildcards; exclude wins', async (t) => {
      const all = await subscriber(t, { bind: bindAddress(t, transport) })
      const some = await subscriber(t, { bind: bindAddress(t, transport) })
      const shipper = await startShipper(t, {
        ZEEK_ZMQ_INPUTS: bindAddress(t, transport),
        // Global defaults apply where a spec is silent: "all" takes them, "some" overrides them.
        ZEEK_ZMQ_EXCLUDED_LOGS: 'files',
        ZEEK_ZMQ_ENDPOINTS: `${boundAt(all)}?name=all ${boundAt(some)}?name=some&include=dns*,http,ssl&exclude=ssl`,
      })
      await waitFor(() => shipper.endpoint('all').peers + shipper.endpoint('some').peers === 2, 'two subscribers')

      const paths = ['conn', 'dns', 'dns-2', 'dnsx', 'http', 'http-2', 'ssl', 'files']
      const messages = paths.flatMap((path) => Array.from({ length: 3 }, (_, i) => [Buffer.from(path), zeekMessage(i)[1]]))
      await publishAll(shipper, await publisher(t, shipper.input), messages)

      const pathsOf = (received: Buffer[][]): string[] => [...new Set(received.map(([path]) => path!.toString()))]
      assert.deepEqual(pathsOf(await all.take(21)), ['conn', 'dns', 'dns-2', 'dnsx', 'http', 'http-2', 'ssl'])
      assert.deepEqual(pathsOf(await some.take(12)), ['dns', 'dns-2', 'dnsx', 'http'])
      assert.equal((await all.quiet(200)).length + (await some.quiet(200)).length, 21 + 12)
      assert.equal(await shipper.metric('zeek_zmq_endpoint_filtered_records_total', { endpoint: 'all' }), 3)
      assert.equal(await shipper.metric('zeek_zmq_endpoint_filtered_records_total', { endpoint: 'some' }), 12)
    })

    test("subscribers' own topics: records no subscriber wants are counted as filtered, not lost unseen", async (t) => {
      const shipper = await startShipper(t, { ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, transport)}?name=topics&mode=bind` })
      const dnsOnly = await subscriber(t, { connect: shipper.endpoint('topics').address }, { topics: ['dns'] })
      const httpOnly = await subscriber(t, { connect: shipper.endpoint('topics').address }, { topics: ['http'] })
      await waitFor(() => shipper.endpoint('topics').topics === 2, 'two subscriptions')

      const messages = Array.from({ length: 50 }, (_, i) => zeekMessage(i))
      await publishAll(shipper, await publisher(t, shipper.input), messages)
      assert.deepEqual(await dnsOnly.take(10), messages.filter(([path]) => path!.toString() === 'dns'))
      assert.deepEqual(await httpOnly.take(10), messages.filter(([path]) => path!.toString() === 'http'))
      await waitFor(() => shipper.endpoint('topics').queueRecords === 0, 'the queue to empty')
      assert.equal(await shipper.metric('zeek_zmq_endpoint_filtered_records_total', { endpoint: 'topics' }), 30)
      assert.equal(shipper.endpoint('topics').sent, 20)
    })
  })
}
