// A publisher that never ends a multi-part message: every frame is within the size limit,
// but libzmq keeps each one until the message's last frame, and no ZeroMQ option bounds how
// many there are (README "Limits"). What holds: the shipper's memory grows in proportion to
// what the peer sends, nothing of the unfinished message is delivered or counted as a
// record, the cut-off is counted, and Zeek's own connection and readiness are unaffected.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { exposedInput } from '../helpers/exposed-input.ts'
import { sampleValue, sumOf } from '../helpers/shipper.ts'
import { waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'
import { frame, rssBytes } from '../helpers/zmtp-raw.ts'

const MiB = 1024 * 1024
/** Frames of 100 bytes: the worst ratio of libzmq's bookkeeping to the bytes sent. */
const FRAME_BYTES = 100
const STREAM_BYTES = 32 * MiB
/**
 * The stated proportion: libzmq holds each frame in the 8 KiB read buffer it arrived in,
 * with a reference count and a message header per frame: runs here grew by 2.6 times the
 * bytes sent in 100-byte frames, 1.0 times in 60 KB frames. Allowance for the process's own
 * churn and what is still in the kernel's buffers on top.
 */
const MAX_GROWTH_PER_BYTE_SENT = 4
const SLACK = 32 * MiB

test('a message that never ends: memory grows with what the peer sends, nothing of it is delivered, Zeek and readiness unaffected', async (t) => {
  const target = await exposedInput(t)
  if (target === undefined) return
  const { shipper, url, zeek, sub, metrics } = target
  const { peer, rssBefore } = await target.attacker()
  const chunk = Buffer.concat(Array.from({ length: 1024 }, () => frame(Buffer.alloc(FRAME_BYTES, 0x41), true)))
  const perChunk = 1024 * FRAME_BYTES
  await peer.write(frame(Buffer.from('conn'), true))
  let sent = 0
  while (sent < STREAM_BYTES) {
    assert.ok(await peer.write(chunk), 'the shipper took every frame: none is over the limit')
    sent += perChunk
  }
  // Zeek's records overtake the unfinished message: it blocks nothing but its own connection.
  const during = Array.from({ length: 20 }, (_, i) => zeekMessage(20 + i))
  for (const message of during) await zeek.send(message)
  assert.deepEqual((await sub.take(40)).slice(20), during)
  assert.equal((await fetch(`${url}/readyz`)).status, 200)
  const rssDuring = rssBytes(shipper.pid)!

  peer.socket.destroy()
  await peer.closed
  const text = await waitFor(async () => {
    const text = await metrics()
    return sampleValue(text, 'zeek_zmq_input_disconnects_total', { reason: 'closed' }) >= 1 ? text : undefined
  }, 'the cut connection to be counted')
  const rssAfter = rssBytes(shipper.pid)!
  const grown = rssDuring - rssBefore
  t.diagnostic(
    `sent ${(sent / MiB).toFixed(0)} MiB in ${FRAME_BYTES}-byte frames of one message; RSS ${(rssBefore / MiB).toFixed(1)} -> ${(rssDuring / MiB).toFixed(1)} MiB ` +
      `(${(grown / sent).toFixed(2)} times the bytes sent), ${(rssAfter / MiB).toFixed(1)} MiB after the peer left`,
  )
  assert.ok(grown < MAX_GROWTH_PER_BYTE_SENT * sent + SLACK, `RSS grew by ${(grown / MiB).toFixed(1)} MiB for ${(sent / MiB).toFixed(0)} MiB sent`)
  // Nothing of the unfinished message reached the input's counts or the subscriber.
  assert.equal(sumOf(text, 'zeek_zmq_input_records_total'), 40)
  for (const reason of ['frame_count', 'record_too_large']) assert.equal(sampleValue(text, 'zeek_zmq_input_rejected_total', { reason }), 0, reason)

  const after = Array.from({ length: 20 }, (_, i) => zeekMessage(40 + i))
  for (const message of after) await zeek.send(message)
  assert.deepEqual((await sub.take(60)).slice(40), after)
  assert.equal((await fetch(`${url}/readyz`)).status, 200)
  assert.equal(shipper.stderr(), '')
})
