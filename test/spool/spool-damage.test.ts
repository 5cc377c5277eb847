// Torn and damaged segments: the spool cuts a segment at its first bad record, counts what
// it lost (exactly where a later segment's sequence number tells), never fails to open
// because of it, and delivers everything else in order.

import assert from 'node:assert/strict'
import { closeSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs'
import { describe, test, type TestContext } from 'node:test'
import { acknowledge, drain, indexed, openSpool, range, segmentFiles, spoolDir } from './spool-helpers.ts'

// 100-byte records and 1,020-byte segments: exactly 10 records per segment (a 20-byte header).
const SMALL_SEGMENTS = { segmentBytes: 1020 }
const HEADER = 20
const RECORD = 100

async function filled(t: TestContext, count: number): Promise<string> {
  const dir = spoolDir(t)
  const spool = await openSpool(t, dir, SMALL_SEGMENTS)
  for (const i of range(0, count)) spool.append(indexed(i))
  await spool.close()
  return dir
}

function flipByte(path: string, offset: number): void {
  const byte = readFileSync(path)[offset]!
  const fd = openSync(path, 'r+')
  writeSync(fd, Buffer.from([byte ^ 0x5a]), 0, 1, offset)
  closeSync(fd)
}

describe('damage found on reopening', () => {
  test('a torn last record: cut off and counted, every record before it intact', async (t) => {
    const dir = await filled(t, 25)
    const last = segmentFiles(dir).at(-1)!
    truncateSync(last.path, last.size - 30)
    const spool = await openSpool(t, dir, SMALL_SEGMENTS)
    assert.equal(spool.records, 24)
    assert.equal(spool.stats().truncatedRecords, 1)
    assert.equal(spool.stats().truncatedBytes, RECORD - 30)
    assert.equal(segmentFiles(dir).at(-1)!.size, HEADER + 4 * RECORD, 'the file is cut at the last whole record')
    assert.deepEqual(await drain(spool), range(0, 24))
  })

  test('a torn record header (fewer than 12 bytes left)', async (t) => {
    const dir = await filled(t, 25)
    const last = segmentFiles(dir).at(-1)!
    truncateSync(last.path, last.size - RECORD + 5)
    const spool = await openSpool(t, dir, SMALL_SEGMENTS)
    assert.deepEqual([spool.stats().truncatedRecords, spool.stats().truncatedBytes], [1, 5])
    assert.deepEqual(await drain(spool), range(0, 24))
  })

  test('bytes changed in the middle of a segment: cut from there, the exact loss counted, later segments delivered', async (t) => {
    const dir = await filled(t, 30)
    const middle = segmentFiles(dir)[1]!
    flipByte(middle.path, HEADER + 4 * RECORD + 50) // inside record 14's frames: its CRC no longer matches
    const spool = await openSpool(t, dir, SMALL_SEGMENTS)
    assert.equal(spool.stats().truncatedRecords, 6, 'records 14 to 19, from the sequence number of the next segment')
    assert.equal(spool.stats().truncatedBytes, 6 * RECORD)
    assert.deepEqual(await drain(spool), [...range(0, 14), ...range(20, 30)])
    await spool.close()
    const again = await openSpool(t, dir, SMALL_SEGMENTS)
    assert.equal(again.stats().truncatedRecords, 0, 'damage is counted once: the file was cut')
  })

  test('a damaged length field cannot make the reader wait for or allocate gigabytes', async (t) => {
    const dir = await filled(t, 30)
    const middle = segmentFiles(dir)[1]!
    const fd = openSync(middle.path, 'r+')
    writeSync(fd, Buffer.from([0xff, 0xff, 0xff, 0x7f]), 0, 4, HEADER + 2 * RECORD + 8) // record 12's record length
    closeSync(fd)
    const spool = await openSpool(t, dir, SMALL_SEGMENTS)
    assert.equal(spool.stats().truncatedRecords, 8)
    assert.deepEqual(await drain(spool), [...range(0, 12), ...range(20, 30)])
  })

  test('a segment whose header is damaged: deleted, its records counted from its neighbours', async (t) => {
    const dir = await filled(t, 30)
    flipByte(segmentFiles(dir)[1]!.path, 3)
    const spool = await openSpool(t, dir, SMALL_SEGMENTS)
    assert.equal(spool.stats().truncatedRecords, 10)
    assert.equal(segmentFiles(dir).length, 2)
    assert.deepEqual(await drain(spool), [...range(0, 10), ...range(20, 30)])
  })

  test('a newest segment cut inside its header (the writer stopped while creating it) loses no record', async (t) => {
    const dir = await filled(t, 20)
    const dirFiles = segmentFiles(dir)
    // What a crash right after creating segment 3 leaves: its file, shorter than a header.
    const name = dirFiles.at(-1)!.name.replace(/\d{20}/, (id) => String(Number(id) + 1).padStart(20, '0'))
    const fd = openSync(`${dir}/${name}`, 'wx')
    writeSync(fd, Buffer.from('ZZSPO'))
    closeSync(fd)
    const spool = await openSpool(t, dir, SMALL_SEGMENTS)
    assert.deepEqual([spool.stats().truncatedRecords, spool.stats().truncatedBytes], [0, 5])
    assert.deepEqual(await drain(spool), range(0, 20))
  })
})

describe('the ledger', () => {
  /** 15 records, 4 of them acknowledged, closed: the ledger's position is at record 4. */
  async function acknowledgedTo4(t: TestContext): Promise<string> {
    const dir = spoolDir(t)
    const spool = await openSpool(t, dir, SMALL_SEGMENTS)
    for (const i of range(0, 15)) spool.append(indexed(i))
    await acknowledge(spool, 4)
    await spool.close()
    return dir
  }

  test('a torn ledger write falls back on the slot before it: one acknowledgement undone, nothing lost', async (t) => {
    const dir = await acknowledgedTo4(t)
    const ledger = readFileSync(`${dir}/ledger`)
    const newest = ledger.readBigUInt64LE(8) > ledger.readBigUInt64LE(32 + 8) ? 0 : 32
    flipByte(`${dir}/ledger`, newest + 20)
    const again = await openSpool(t, dir, SMALL_SEGMENTS)
    assert.deepEqual(await drain(again), range(3, 15))
  })

  test('without a ledger, everything in the segments is sent again', async (t) => {
    const dir = await acknowledgedTo4(t)
    truncateSync(`${dir}/ledger`, 0)
    const again = await openSpool(t, dir, SMALL_SEGMENTS)
    assert.deepEqual(await drain(again), range(0, 15))
  })
})

describe('damage found while replaying', () => {
  test('a segment damaged on disk after it was opened: the rest of it counted as truncated, the later ones delivered', async (t) => {
    const dir = spoolDir(t)
    // No tail cache: the records must come back from the file.
    const spool = await openSpool(t, dir, { ...SMALL_SEGMENTS, tailCacheBytes: 0 })
    for (const i of range(0, 30)) spool.append(indexed(i))
    flipByte(segmentFiles(dir)[1]!.path, HEADER + 7 * RECORD + 60)
    assert.deepEqual(await drain(spool), [...range(0, 17), ...range(20, 30)])
    assert.equal(spool.stats().truncatedRecords, 3)
    assert.equal(spool.records, 0)
  })

  test('damage in the segment being written: nothing more goes behind it, and later records are delivered', async (t) => {
    const dir = spoolDir(t)
    const spool = await openSpool(t, dir, { ...SMALL_SEGMENTS, tailCacheBytes: 0 })
    for (const i of range(0, 25)) spool.append(indexed(i))
    await acknowledge(spool, 20)
    flipByte(segmentFiles(dir).at(-1)!.path, HEADER + 2 * RECORD + 60) // record 22
    assert.deepEqual(await drain(spool), [20, 21])
    assert.equal(spool.stats().truncatedRecords, 3)
    for (const i of range(25, 30)) spool.append(indexed(i))
    assert.deepEqual(await drain(spool), range(25, 30))
    assert.equal(spool.records, 0)
  })
})
