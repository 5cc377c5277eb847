// The native plane holds records while an endpoint has no subscriber, drops (and counts)
// exactly what does not fit its queue, in records, in bytes and in the memory all queues
// share, and delivers the rest to the next subscriber that arrives.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { bindAddress, publisher, subscriber, TRANSPORTS, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'
import { inputTook, NO_NATIVE, startNativePlane, unaccounted } from './native-plane.ts'

const messages = (from: number, n: number): Buffer[][] => Array.from({ length: n }, (_, i) => zeekMessage(from + i))
const bytesOf = (list: Buffer[][]): number => list.reduce((sum, [p, r]) => sum + p!.length + r!.length, 0)

for (const transport of TRANSPORTS) {
  describe(`native holding over ${transport}`, { skip: NO_NATIVE }, () => {
    test('held until the first subscriber arrives; past hwm exactly the excess is dropped (queue_full)', async (t) => {
      const plane = await startNativePlane(t, { ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, transport)}?name=late&mode=bind&hwm=100` })
      const sent = messages(0, 137)
      const pub = await publisher(t, plane.input)
      for (const message of sent) await pub.send(message)
      await inputTook(plane, 0, sent.length)

      let late = plane.endpoint('late')
      assert.equal(late.queueRecords, 100)
      assert.equal(late.queueBytes, bytesOf(sent.slice(0, 100)))
      assert.equal(late.dropped.queue_full, 37)
      assert.equal(late.sent, 0)

      const sub = await subscriber(t, { connect: late.address })
      assert.deepEqual(await sub.take(100), sent.slice(0, 100))
      assert.equal((await sub.quiet(200)).length, 100)
      late = plane.endpoint('late')
      assert.equal(late.queueRecords, 0)
      assert.equal(late.queueBytes, 0)
      assert.equal(late.sent, 100)
      assert.equal(late.peers, 1)
      assert.equal(unaccounted(plane.snapshot(), 0), 0)
    })

    test('hwm_bytes and the shared memory limit: queue_full and memory_limit, exactly', async (t) => {
      const sent = messages(0, 60)
      // Room for the first 20 records in "small"'s bytes; the memory limit holds 50 records' bytes in all.
      const plane = await startNativePlane(t, {
        ZEEK_ZMQ_MEMORY_LIMIT_BYTES: String(bytesOf(sent.slice(0, 20)) + bytesOf(sent.slice(0, 30))),
        ZEEK_ZMQ_ENDPOINTS: [`${bindAddress(t, transport)}?name=small&mode=bind&hwm_bytes=${bytesOf(sent.slice(0, 20))}`, `${bindAddress(t, transport)}?name=big&mode=bind`].join(' '),
      })
      const pub = await publisher(t, plane.input)
      for (const message of sent) await pub.send(message)
      await inputTook(plane, 0, sent.length)
      const [small, big] = plane.snapshot().endpoints
      assert.equal(small!.queueRecords, 20)
      assert.equal(small!.dropped.queue_full, 40)
      assert.equal(small!.dropped.memory_limit, 0)
      assert.equal(big!.queueRecords, 30)
      assert.equal(big!.dropped.memory_limit, 30)
      assert.equal(big!.queueBytes, bytesOf(sent.slice(0, 30)))
      for (const i of [0, 1]) assert.equal(unaccounted(plane.snapshot(), i), 0)

      // Sending frees the budget: the next records are queued again.
      const sub = await subscriber(t, { connect: big!.address })
      await sub.take(30)
      await waitFor(() => plane.endpoint('big').queueRecords === 0, 'the queue to empty')
      const more = messages(60, 5)
      for (const message of more) await pub.send(message)
      assert.deepEqual((await sub.take(35)).slice(30), more)
    })

    test('connect mode: records published before the subscriber binds reach it once it does', async (t) => {
      const address = transport === 'ipc' ? bindAddress(t, 'ipc') : `tcp://127.0.0.1:${await freePort()}`
      const plane = await startNativePlane(t, { ZEEK_ZMQ_ENDPOINTS: `${address}?name=siem` })
      const early = messages(0, 50)
      const pub = await publisher(t, plane.input)
      for (const message of early) await pub.send(message)
      await inputTook(plane, 0, early.length)
      assert.equal(plane.endpoint('siem').queueRecords, 50)
      const sub = await subscriber(t, { bind: address })
      assert.deepEqual(await sub.take(50), early)
    })
  })
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net')
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
