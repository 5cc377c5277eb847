// The native plane fans each record out to every endpoint whose filters admit its path,
// and counts a record no subscriber's topic wants as filtered: exact counters, checked
// against what real subscribers (zeromq.js and pyzmq) received, in order.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { NO_PYZMQ, pyzmqPeer } from '../helpers/pyzmq.ts'
import { bindAddress, publisher, subscriber, TRANSPORTS, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'
import { inputTook, NO_NATIVE, startNativePlane, unaccounted } from './native-plane.ts'

const N = 500
const stream = Array.from({ length: N }, (_, i) => zeekMessage(i))
const pathOf = (message: Buffer[]): string => message[0]!.toString()

for (const transport of TRANSPORTS) {
  describe(`native fan-out over ${transport}`, { skip: NO_NATIVE || NO_PYZMQ }, () => {
    test('filters decide per endpoint, topics per subscriber; every record is sent or counted filtered, exactly', async (t) => {
      const specs = [
        `${bindAddress(t, transport)}?name=all&mode=bind`,
        `${bindAddress(t, transport)}?name=web&mode=bind&include=http,ss*`,
        `${bindAddress(t, transport)}?name=quiet&mode=bind&exclude=conn,d*`,
        `${bindAddress(t, transport)}?name=topic&mode=bind`,
      ]
      const plane = await startNativePlane(t, { ZEEK_ZMQ_ENDPOINTS: specs.join(' ') })
      const all = await pyzmqPeer(t, { role: 'sub', connect: plane.endpoint('all').address })
      const web = await subscriber(t, { connect: plane.endpoint('web').address })
      const quiet = await subscriber(t, { connect: plane.endpoint('quiet').address })
      const topic = await subscriber(t, { connect: plane.endpoint('topic').address }, { topics: ['dn', 'fil'] })
      await waitFor(() => plane.snapshot().endpoints.every((e) => e.topics >= 1), 'every subscription')
      await waitFor(() => plane.endpoint('topic').topics === 2, 'both topics')

      const pub = await publisher(t, plane.input)
      for (const message of stream) await pub.send(message)
      await inputTook(plane, 0, N)

      const expected = {
        all: stream,
        web: stream.filter((m) => ['http', 'ssl'].includes(pathOf(m))),
        quiet: stream.filter((m) => !['conn', 'dns'].includes(pathOf(m))),
        topic: stream.filter((m) => ['dns', 'files'].includes(pathOf(m))),
      }
      assert.deepEqual(await web.take(expected.web.length), expected.web)
      assert.deepEqual(await quiet.take(expected.quiet.length), expected.quiet)
      assert.deepEqual(await topic.take(expected.topic.length), expected.topic)
      await waitFor(() => all.messages().length >= N, `pyzmq to receive ${N}`)
      assert.deepEqual(all.messages(), stream)
      for (const sub of [web, quiet, topic]) await sub.quiet(100)
      assert.equal(web.received.length + quiet.received.length + topic.received.length, expected.web.length + expected.quiet.length + expected.topic.length)

      const snapshot = plane.snapshot()
      for (const [index, endpoint] of snapshot.endpoints.entries()) {
        const want = expected[endpoint.name as keyof typeof expected]
        assert.equal(endpoint.sent, want.length, `${endpoint.name} sent`)
        assert.equal(endpoint.filtered, N - want.length, `${endpoint.name} filtered`)
        assert.equal(endpoint.sentBytes, want.reduce((sum, [p, r]) => sum + p!.length + r!.length, 0), `${endpoint.name} bytes`)
        assert.equal(unaccounted(snapshot, index), 0, `${endpoint.name}: input = sent + filtered + dropped + queued`)
        for (const [p, path] of snapshot.paths.entries()) {
          assert.equal(endpoint.sentByPath[p], want.filter((m) => pathOf(m) === path.name).length, `${endpoint.name} ${path.name}`)
        }
      }
      const web_ = snapshot.endpoints.findIndex((e) => e.name === 'web')
      assert.deepEqual(
        snapshot.paths.map((path) => [path.name, path.records, path.admitted[web_]]),
        ['conn', 'dns', 'http', 'ssl', 'files'].map((name) => [name, N / 5, name === 'http' || name === 'ssl']),
      )
      // Matched once per path and change of the topics, never per record.
      assert.ok(snapshot.endpoints[3]!.topicComparisons <= 5 * 2, `${snapshot.endpoints[3]!.topicComparisons} comparisons`)
    })
  })
}
