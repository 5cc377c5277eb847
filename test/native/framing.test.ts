// The native plane's input: every malformed message rejected under the JavaScript plane's
// reason, in its order of checks, counted exactly and never forwarded; the good records
// around them go through untouched, and a publisher cut off is counted by reason.

import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { test } from 'node:test'
import { bindAddress, publisher, subscriber, waitFor } from '../helpers/sockets.ts'
import { rejectStream } from '../helpers/reject-stream.ts'
import { frameHeader, greeting, rawConnect } from '../helpers/zmtp-raw.ts'
import { inputTook, NO_NATIVE, startNativePlane } from './native-plane.ts'

const MAX_RECORD = 1000

const BAD: Record<string, Buffer[][]> = {
  frame_count: [[Buffer.from('conn')], [Buffer.from('conn'), Buffer.from('{}'), Buffer.from('{}')], [Buffer.from('a b'), Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0)]],
  empty_path: [[Buffer.alloc(0), Buffer.from('{}')], [Buffer.alloc(0), Buffer.alloc(0)]],
  path_too_long: [[Buffer.from('a'.repeat(129)), Buffer.from('{}')], [Buffer.from(' '.repeat(129)), Buffer.alloc(0)]],
  path_invalid: [[Buffer.from('conn log'), Buffer.from('{}')], [Buffer.from('c/d'), Buffer.from('{}')], [Buffer.from([0x63, 0xff]), Buffer.from('{}')], [Buffer.from('c\0'), Buffer.from('{}')]],
  empty_record: [[Buffer.from('conn'), Buffer.alloc(0)]],
  record_too_large: [[Buffer.from('conn'), Buffer.alloc(MAX_RECORD + 1, 0x20)]],
}

test('native: every kind of malformed message is rejected and counted, in the order the JavaScript plane checks; good records still flow', { skip: NO_NATIVE }, async (t) => {
  const plane = await startNativePlane(t, { ZEEK_ZMQ_MAX_RECORD_BYTES: String(MAX_RECORD), ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, 'ipc')}?name=out&mode=bind` })
  const sub = await subscriber(t, { connect: plane.endpoint('out').address })
  await waitFor(() => plane.endpoint('out').topics === 1, 'the subscription')
  const pub = await publisher(t, plane.input)

  const { good, stream } = rejectStream(BAD, MAX_RECORD)
  for (const message of stream) await pub.send(message)
  await inputTook(plane, 0, stream.length)

  assert.deepEqual(await sub.take(good.length), good)
  assert.equal((await sub.quiet(200)).length, good.length)
  const snapshot = plane.snapshot()
  for (const [reason, messages] of Object.entries(BAD)) assert.equal(snapshot.input.rejected[reason as keyof typeof snapshot.input.rejected], messages.length, reason)
  assert.equal(snapshot.input.rejected.too_many_paths, 0)
  assert.equal(snapshot.input.bytes, good.reduce((sum, [path, record]) => sum + path!.length + record!.length, 0))
  assert.equal(snapshot.endpoints[0]!.sent, good.length)
  assert.equal(snapshot.endpoints[0]!.sentBytes, snapshot.input.bytes)
})

test('native: past ZEEK_ZMQ_MAX_PATHS live paths a new path is rejected (too_many_paths); known paths still flow', { skip: NO_NATIVE }, async (t) => {
  const plane = await startNativePlane(t, { ZEEK_ZMQ_MAX_PATHS: '2', ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, 'ipc')}?name=out&mode=bind` })
  const pub = await publisher(t, plane.input)
  const messages = ['conn', 'dns', 'http', 'conn', 'ssl', 'dns'].map((path) => [Buffer.from(path), Buffer.from('{}')])
  for (const message of messages) await pub.send(message)
  await inputTook(plane, 0, messages.length)
  const snapshot = plane.snapshot()
  assert.equal(snapshot.input.rejected.too_many_paths, 2)
  assert.deepEqual(
    snapshot.paths.map((path) => [path.name, path.records]),
    [
      ['conn', 2],
      ['dns', 2],
    ],
  )
  // Held for the endpoint without a subscriber: the identity holds with the queue.
  assert.equal(snapshot.endpoints[0]!.queueRecords, 4)
})

test('native: a publisher that fails the handshake and one cut off for a frame over the limit are counted apart', { skip: NO_NATIVE }, async (t) => {
  const plane = await startNativePlane(t, { ZEEK_ZMQ_MAX_RECORD_BYTES: String(MAX_RECORD), ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, 'ipc')}?name=out&mode=bind` })
  const [host, port] = plane.input.slice('tcp://'.length).split(':') as [string, string]
  const garbage = connect(Number(port), host)
  t.after(() => garbage.destroy())
  // A greeting, then a command the NULL mechanism does not know instead of READY.
  const hello = Buffer.from('\x05HELLO', 'latin1')
  garbage.write(Buffer.concat([greeting(), frameHeader(hello.length, { command: true }), hello]))
  await waitFor(() => plane.snapshot().input.disconnects.handshake_failed === 1, 'the failed handshake to be counted')

  const peer = await rawConnect(plane.input)
  t.after(() => peer.socket.destroy())
  assert.ok(await peer.handshake(), 'the ZeroMQ handshake')
  await peer.write(frameHeader(MAX_RECORD + 129, { more: true }))
  await peer.closed
  await waitFor(() => plane.snapshot().input.disconnects.closed === 1, 'the cut connection to be counted')
  assert.equal(plane.snapshot().input.disconnects.handshake_failed, 1)
})
