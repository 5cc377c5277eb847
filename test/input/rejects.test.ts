// Malformed messages are counted under their reason, logged, skipped and never forwarded;
// the good records around them go through untouched.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { publishAll, startShipper } from '../helpers/shipper.ts'
import { bindAddress, publisher, subscriber } from '../helpers/sockets.ts'
import { rejectStream } from '../helpers/reject-stream.ts'

const MAX_RECORD = 1000
const MAX_PATHS = 100

const BAD: Record<string, Buffer[][]> = {
  frame_count: [[Buffer.from('conn')], [Buffer.from('conn'), Buffer.from('{}'), Buffer.from('{}')]],
  empty_path: [[Buffer.alloc(0), Buffer.from('{}')]],
  path_too_long: [[Buffer.from('a'.repeat(129)), Buffer.from('{}')]],
  path_invalid: [[Buffer.from('conn log'), Buffer.from('{}')], [Buffer.from('c/d'), Buffer.from('{}')], [Buffer.from([0x63, 0xff]), Buffer.from('{}')]],
  empty_record: [[Buffer.from('conn'), Buffer.alloc(0)]],
  record_too_large: [[Buffer.from('conn'), Buffer.alloc(MAX_RECORD + 1, 0x20)]],
}

test('every kind of malformed message is rejected and counted; good records still flow', async (t) => {
  const shipper = await startShipper(t, {
    ZEEK_ZMQ_MAX_RECORD_BYTES: String(MAX_RECORD),
    ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, 'ipc')}?name=out&mode=bind`,
  })
  const sub = await subscriber(t, { connect: shipper.endpoint('out').address })
  const pub = await publisher(t, shipper.input)

  const { good, stream } = rejectStream(BAD, MAX_RECORD)
  await publishAll(shipper, pub, stream)

  assert.deepEqual(await sub.take(good.length), good)
  assert.equal((await sub.quiet(200)).length, good.length)
  for (const [reason, messages] of Object.entries(BAD)) {
    assert.equal(await shipper.metric('zeek_zmq_input_rejected_total', { reason }), messages.length, reason)
  }
})

test(`more distinct paths than ZEEK_ZMQ_MAX_PATHS (${MAX_PATHS}): the excess is rejected as too_many_paths`, async (t) => {
  const shipper = await startShipper(t, { ZEEK_ZMQ_MAX_PATHS: String(MAX_PATHS), ZEEK_ZMQ_LINGER_MS: '0', ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, 'ipc')}?name=out&mode=bind` })
  const pub = await publisher(t, shipper.input)
  const messages = Array.from({ length: MAX_PATHS + 5 }, (_, n) => [Buffer.from(`path${n}`), Buffer.from('{}')])
  await publishAll(shipper, pub, messages)
  assert.equal(await shipper.metric('zeek_zmq_input_rejected_total', { reason: 'too_many_paths' }), 5)
  // Paths already known keep flowing.
  await publishAll(shipper, pub, [[Buffer.from('path0'), Buffer.from('{}')]])
  assert.equal(await shipper.metric('zeek_zmq_input_records_total', { path: 'path0' }), 2)
})
