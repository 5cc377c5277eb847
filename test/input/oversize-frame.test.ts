// A publisher that announces a frame larger than the input accepts is cut off by ZeroMQ
// as the frame header arrives: the shipper never buffers the frame, counts the cut
// connection, stays ready, and real publishers go on.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { exposedInput } from '../helpers/exposed-input.ts'
import { sampleValue } from '../helpers/shipper.ts'
import { waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'
import { frameHeader, rssBytes } from '../helpers/zmtp-raw.ts'

const MiB = 1024 * 1024
/** What the raw peer tries to push after the header: far more than the kernel's socket buffers hold. */
const STREAM_BYTES = 256 * MiB
/** Loopback socket buffers on both sides hold a few MiB; anything beyond went into the shipper. */
const MAX_ACCEPTED_BYTES = 32 * MiB
/** The stated bound: what a refused frame may add to the shipper's resident memory. */
const MAX_RSS_GROWTH = 16 * MiB

test('a 16 GiB frame header: the connection is cut as it arrives, counted, RSS bounded, readiness and real publishers unaffected', async (t) => {
  const target = await exposedInput(t)
  if (target === undefined) return
  const { shipper, url, zeek, sub, metrics } = target
  const { peer, rssBefore } = await target.attacker()
  await peer.write(frameHeader(16n * 1024n * 1024n * 1024n, { more: true }))
  const chunk = Buffer.alloc(MiB, 0x41)
  let accepted = 0
  while (accepted < STREAM_BYTES && (await peer.write(chunk))) accepted += chunk.length
  let timer: NodeJS.Timeout | undefined
  const cut = await Promise.race([peer.closed.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(resolve, 5000, false)))])
  clearTimeout(timer)
  peer.socket.destroy()
  const rssAfter = rssBytes(shipper.pid)!
  t.diagnostic(`accepted ${(accepted / MiB).toFixed(0)} MiB before the cut; RSS ${(rssBefore / MiB).toFixed(1)} -> ${(rssAfter / MiB).toFixed(1)} MiB`)

  assert.ok(cut, `the connection was not cut: the shipper took ${accepted / MiB} MiB of one frame`)
  assert.ok(accepted < MAX_ACCEPTED_BYTES, `${accepted / MiB} MiB went in before the cut`)
  assert.ok(rssAfter - rssBefore < MAX_RSS_GROWTH, `RSS grew by ${((rssAfter - rssBefore) / MiB).toFixed(1)} MiB`)

  const text = await waitFor(async () => {
    const text = await metrics()
    return sampleValue(text, 'zeek_zmq_input_disconnects_total', { reason: 'closed' }) >= 1 ? text : undefined
  }, 'the cut connection to be counted')
  assert.equal(sampleValue(text, 'zeek_zmq_input_disconnects_total', { reason: 'handshake_failed' }), 0)
  assert.equal((await fetch(`${url}/readyz`)).status, 200)

  const after = Array.from({ length: 20 }, (_, i) => zeekMessage(20 + i))
  for (const message of after) await zeek.send(message)
  assert.deepEqual((await sub.take(40)).slice(20), after)
  assert.equal(shipper.stderr(), '')
})
