// The spool's order and bookkeeping with real files: records come back in the order they
// were appended, across many segments and across a close and reopen; acknowledged records
// never come back; segments go once every record in them is acknowledged.

import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { describe, test } from 'node:test'
import { acknowledge, drain, indexed, indexOf, openSpool, range, segmentFiles, spoolDir } from './spool-helpers.ts'

// 100-byte records and 1,020-byte segments: exactly 10 records per segment.
const SMALL_SEGMENTS = { segmentBytes: 1020 }

describe('order and acknowledgement', () => {
  test('records come back in order across many segments, each segment deleted once read', async (t) => {
    const dir = spoolDir(t)
    const spool = await openSpool(t, dir, SMALL_SEGMENTS)
    for (const i of range(0, 1000)) assert.equal(spool.append(indexed(i)), true)
    assert.equal(spool.records, 1000)
    assert.equal(segmentFiles(dir).length, 100)
    assert.equal(spool.bytes, 100 * 1020)

    const firstHalf: number[] = []
    for (const _ of range(0, 500)) {
      const message = await spool.peek()
      firstHalf.push(indexOf(message!))
      spool.ack()
    }
    assert.deepEqual(firstHalf, range(0, 500))
    assert.equal(segmentFiles(dir).length, 50, 'the 50 segments read to the end are gone')
    // Appending while reading: new records go behind the old ones.
    for (const i of range(1000, 1100)) spool.append(indexed(i))
    assert.deepEqual(await drain(spool), range(500, 1100))
    assert.equal(spool.records, 0)
    assert.deepEqual(segmentFiles(dir).map((f) => f.size), [1020], 'only the segment still open for writing is left')
  })

  test('a reader that keeps up with the writer takes records from memory, one that falls behind from disk, in one order', async (t) => {
    const dir = spoolDir(t)
    // A tail cache of 1,000 bytes: the 10 newest records.
    const spool = await openSpool(t, dir, { ...SMALL_SEGMENTS, tailCacheBytes: 1000 })
    const seen: number[] = []
    let next = 0
    for (const round of range(0, 200)) {
      // Bursts of 1 to 40 records, read 1 to 30 at a time: sometimes caught up, sometimes behind.
      for (const _ of range(0, 1 + ((round * 7) % 40))) spool.append(indexed(next++))
      for (const _ of range(0, 1 + ((round * 11) % 30))) {
        const message = await spool.peek()
        if (message === undefined) break
        seen.push(indexOf(message))
        spool.ack()
      }
    }
    seen.push(...(await drain(spool)))
    assert.deepEqual(seen, range(0, next))
  })

  test('peek returns the same record until it is acknowledged', async (t) => {
    const spool = await openSpool(t, spoolDir(t))
    spool.append(indexed(7))
    spool.append(indexed(8))
    assert.equal(indexOf((await spool.peek())!), 7)
    assert.equal(indexOf((await spool.peek())!), 7, 'a failed send is retried with the same record')
    spool.ack()
    assert.equal(indexOf((await spool.peek())!), 8)
    spool.ack()
    assert.equal(await spool.peek(), undefined)
    assert.throws(() => spool.ack(), /ack without a peeked record/)
    spool.append(indexed(9))
    assert.equal(indexOf((await spool.peek())!), 9, 'a record appended after the spool ran empty')
  })

  test('records of every size up to the frame limit come back byte for byte', async (t) => {
    const spool = await openSpool(t, spoolDir(t), { segmentBytes: 64 * 1024, maxFrameBytes: 1024 * 1024 })
    const sizes = [16, 17, 255, 4096, 65_535, 65_536, 300_000, 1024 * 1024]
    for (const [i, size] of sizes.entries()) spool.append(indexed(i, size))
    for (const [i, size] of sizes.entries()) {
      const message = (await spool.peek())!
      assert.deepEqual(message, indexed(i, size))
      spool.ack()
    }
    assert.throws(() => spool.append(indexed(99, 1024 * 1024 + 1)), RangeError)
  })
})

describe('reopening', () => {
  test('after close, the unacknowledged records come back, and only they', async (t) => {
    const dir = spoolDir(t)
    const first = await openSpool(t, dir, SMALL_SEGMENTS)
    for (const i of range(0, 250)) first.append(indexed(i))
    await acknowledge(first, 123)
    await first.close()

    const second = await openSpool(t, dir, SMALL_SEGMENTS)
    assert.equal(second.records, 127)
    assert.equal(second.stats().truncatedRecords, 0)
    for (const i of range(250, 260)) second.append(indexed(i))
    assert.deepEqual(await drain(second), range(123, 260))
    await second.close()

    const third = await openSpool(t, dir, SMALL_SEGMENTS)
    assert.equal(third.records, 0)
    assert.deepEqual(readdirSync(dir).sort(), ['ledger', 'lock'], 'an emptied spool holds only its ledger and its open lock')
  })

  test('a record peeked but not acknowledged at close is sent again after reopening', async (t) => {
    const dir = spoolDir(t)
    const first = await openSpool(t, dir)
    for (const i of range(0, 3)) first.append(indexed(i))
    await acknowledge(first, 1)
    assert.equal(indexOf((await first.peek())!), 1)
    await first.close()
    const second = await openSpool(t, dir)
    assert.deepEqual(await drain(second), [1, 2])
  })

  for (const sync of ['none', 'interval', 'always'] as const) {
    test(`sync=${sync}: what was appended and acknowledged before close is as it was after reopening`, async (t) => {
      const dir = spoolDir(t)
      const first = await openSpool(t, dir, { ...SMALL_SEGMENTS, sync, syncIntervalMs: 5 })
      for (const i of range(0, 95)) first.append(indexed(i))
      await acknowledge(first, 42)
      assert.equal(first.syncPolicy, sync)
      await first.close()
      assert.equal(first.stats().syncs > 0, sync !== 'none', 'close syncs unless the policy is none')
      const second = await openSpool(t, dir, { ...SMALL_SEGMENTS, sync })
      assert.deepEqual(await drain(second), range(42, 95))
      assert.equal(second.stats().syncFailures, 0)
    })
  }
})
