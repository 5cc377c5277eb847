// A publisher that announces a frame larger than the input accepts is cut off by ZeroMQ
// as the frame header arrives: the shipper never buffers the frame, counts the cut
// connection, stays ready, and real publishers go on.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { spawnShipper } from '../cli/cli-process.ts'
import { sampleValue } from '../helpers/shipper.ts'
import { ipcDir, publisher, subscriber, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'
import { frameHeader, rawConnect, rssBytes } from '../helpers/zmtp-raw.ts'

const MiB = 1024 * 1024
/** What the raw peer tries to push after the header: far more than the kernel's socket buffers hold. */
const STREAM_BYTES = 256 * MiB
/** Loopback socket buffers on both sides hold a few MiB; anything beyond went into the shipper. */
const MAX_ACCEPTED_BYTES = 32 * MiB
/** The stated bound: what a refused frame may add to the shipper's resident memory. */
const MAX_RSS_GROWTH = 16 * MiB

async function metrics(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text()
}

test('a 16 GiB frame header: the connection is cut as it arrives, counted, RSS bounded, readiness and real publishers unaffected', async (t) => {
  const dir = ipcDir(t)
  const out = `ipc://${join(dir, 'out.sock')}`
  const shipper = spawnShipper(t, { ZEEK_ZMQ_INPUTS: 'tcp://127.0.0.1:*', ZEEK_ZMQ_ENDPOINTS: `${out}?name=out&mode=bind` })
  const { url } = (await shipper.logLine('shipper ready')) as { url: string }
  const { inputs } = (await shipper.logLine('input bound')) as { inputs: string[] }
  const input = inputs[0]!
  if (rssBytes(shipper.pid) === undefined) {
    t.skip('no /proc/PID/status here: the resident memory of the shipper cannot be read')
    return
  }

  const sub = await subscriber(t, { connect: out })
  await waitFor(async () => sampleValue(await metrics(url), 'zeek_zmq_endpoint_peers', { endpoint: 'out' }) === 1, 'the subscriber')
  const zeek = await publisher(t, input)
  const before = Array.from({ length: 20 }, (_, i) => zeekMessage(i))
  for (const message of before) await zeek.send(message)
  assert.deepEqual(await sub.take(20), before)
  await metrics(url) // the first scrape allocates prom-client's buffers: not the attack's doing
  const rssBefore = rssBytes(shipper.pid)!

  const peer = await rawConnect(input)
  assert.ok(await peer.handshake(), 'the ZeroMQ handshake')
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
    const text = await metrics(url)
    return sampleValue(text, 'zeek_zmq_input_disconnects_total', { reason: 'closed' }) >= 1 ? text : undefined
  }, 'the cut connection to be counted')
  assert.equal(sampleValue(text, 'zeek_zmq_input_disconnects_total', { reason: 'handshake_failed' }), 0)
  assert.equal((await fetch(`${url}/readyz`)).status, 200)

  const after = Array.from({ length: 20 }, (_, i) => zeekMessage(20 + i))
  for (const message of after) await zeek.send(message)
  assert.deepEqual((await sub.take(40)).slice(20), after)
  assert.equal(shipper.stderr(), '')
})
