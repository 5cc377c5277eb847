// Queued records hold about the memory they are counted for (hwm_bytes, the memory limit):
// the native plane has libzmq allocate each received record on its own, where zero-copy
// receive would keep a whole 8 KiB receive buffer alive for every record still queued.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { bindAddress, publisher } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'
import { inputTook, NO_NATIVE, startNativePlane } from './native-plane.ts'

const MiB = 1024 * 1024
const N = 250_000

function rssBytes(): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024
}

/** Why RSS cannot be compared here, or false when it can. */
const NO_RSS = rssBytes() === 0 ? 'no /proc/self/status here' : process.env.ZZS_SANITIZED === '1' ? 'under AddressSanitizer, RSS is its shadow memory and quarantine' : false

test('native: 50,000 queued records of every fifth path take about the bytes counted, not a receive buffer each', { skip: NO_NATIVE || NO_RSS }, async (t) => {
  const plane = await startNativePlane(t, { ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, 'ipc')}?name=conn&mode=bind&hwm=${N}&include=conn` })
  const pub = await publisher(t, plane.input)
  const pool = Array.from({ length: 1000 }, (_, i) => zeekMessage(i))
  const before = rssBytes()
  for (let i = 0; i < N; i++) await pub.send(pool[i % pool.length]!)
  await inputTook(plane, 0, N)
  const grown = rssBytes() - before
  const conn = plane.endpoint('conn')
  assert.equal(conn.queueRecords, N / 5)
  t.diagnostic(`${conn.queueRecords} records queued, ${(conn.queueBytes / MiB).toFixed(1)} MiB counted; RSS grew ${(grown / MiB).toFixed(1)} MiB`)
  // With zero-copy receive this grew by about nine times the bytes counted.
  assert.ok(grown < 2 * conn.queueBytes + 48 * MiB, `RSS grew ${(grown / MiB).toFixed(1)} MiB for ${(conn.queueBytes / MiB).toFixed(1)} MiB queued`)
})
