// spool_max: when an append would take the segment files past it, the oldest segment goes
// and its unsent records are counted as dropped (spool_full), as Fluent Bit's
// storage.total_limit_size does. The files never hold more than spool_max, and the
// spool's memory does not grow with what it holds on disk.

import assert from 'node:assert/strict'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, test } from 'node:test'
import { drain, indexed, indexOf, openSpool, range, segmentFiles, spoolDir } from './spool-helpers.ts'

const onDisk = (dir: string): number => segmentFiles(dir).reduce((sum, f) => sum + f.size, 0)

describe('spool_max', () => {
  test('the oldest segment is dropped and counted; the files stay within spool_max; the newest records survive in order', async (t) => {
    const dir = spoolDir(t)
    const spool = await openSpool(t, dir, { maxBytes: 10_000, segmentBytes: 1020 })
    let largest = 0
    for (const i of range(0, 300)) {
      assert.equal(spool.append(indexed(i)), true)
      largest = Math.max(largest, onDisk(dir))
      assert.equal(spool.bytes, onDisk(dir))
    }
    assert.ok(largest <= 10_000, `at most spool_max on disk (${largest})`)
    const { droppedSpoolFull, records } = spool.stats()
    assert.equal(droppedSpoolFull + records, 300)
    assert.equal(droppedSpoolFull % 10, 0, 'whole segments of 10 records')
    assert.deepEqual(await drain(spool), range(droppedSpoolFull, 300))
  })

  test('a record on its way to a subscriber when its segment is dropped is still owed its send, and counted once', async (t) => {
    const dir = spoolDir(t)
    const spool = await openSpool(t, dir, { maxBytes: 5_000, segmentBytes: 1020 })
    for (const i of range(0, 10)) spool.append(indexed(i))
    assert.equal(indexOf((await spool.peek())!), 0)
    for (const i of range(10, 100)) spool.append(indexed(i))
    assert.equal(indexOf((await spool.peek())!), 0, 'the send of record 0 may be retried')
    spool.ack()
    const rest = await drain(spool)
    const { droppedSpoolFull } = spool.stats()
    assert.equal(1 + rest.length + droppedSpoolFull, 100, 'sent + dropped = appended')
    assert.deepEqual(rest, range(100 - rest.length, 100))
    assert.equal(spool.records, 0)
  })

  test('a record larger than the whole spool is refused and counted', async (t) => {
    const spool = await openSpool(t, spoolDir(t), { maxBytes: 70_000 })
    assert.equal(spool.append(indexed(0, 70_000)), false)
    assert.equal(spool.stats().droppedSpoolFull, 1)
    assert.equal(spool.records, 0)
    assert.equal(spool.append(indexed(1, 60_000)), true)
  })

  test('replaying 128 MiB takes chunks, not the spool, in memory', async (t) => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const dir = spoolDir(t)
    const spool = await openSpool(t, dir, { maxBytes: 256 * 1024 * 1024 })
    const count = 32 * 1024
    for (const i of range(0, count)) spool.append(indexed(i, 4096 - 16))
    assert.ok(spool.bytes > 128 * 1024 * 1024)
    gc()
    const before = process.memoryUsage()
    let peak = 0
    let next = 0
    for (let message = await spool.peek(); message !== undefined; message = await spool.peek()) {
      assert.equal(indexOf(message), next++)
      spool.ack()
      if (next % 1024 === 0) {
        gc()
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - before.arrayBuffers)
      }
    }
    assert.equal(next, count)
    // Chunks are 256 KiB; V8 frees the memory of collected buffers in the background, so a
    // few more than one may still be counted. Holding the spool would be 128 MiB.
    assert.ok(peak < 16 * 1024 * 1024, `buffers held while replaying grew by ${peak} bytes`)
  })
})
