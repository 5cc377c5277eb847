// npm run bench:spool: what the disk spool costs per record, against the plainest way of
// putting the same bytes on disk and reading them back, measured in the same run on the
// same disk:
//
//   append   DiskSpool.append (record header, CRC32, one writev) vs a writev of the two frames
//   replay   peek() and ack() (chunked async reads, CRC check, one ledger pwrite per record)
//            vs reading the baseline file in chunks of the same size with readSync
//   reopen   open() of the full spool: every record read and checked once
//   live     append, peek and ack of each record in turn: a reader that keeps up with the writer
//
// for each fsync policy. The append loop yields to the event loop every 256 records, as the
// shipper does between batches from its input, so that the fsyncs of "interval" and
// "always" run beside it as they would in the shipper. CPU is the whole process's (the
// fsyncs run in libuv's threads). Figures are for comparison within one run.
//
//   node test/bench/spool-bench.ts            SPOOL_BENCH_RECORDS=100000 SPOOL_BENCH_DIR=/var/tmp

import { closeSync, fdatasyncSync, mkdtempSync, openSync, readSync, rmSync, writevSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { DiskSpool } from '../../src/spool/disk-spool.ts'
import { CHUNK_BYTES } from '../../src/spool/segment-reader.ts'
import type { SpoolSync } from '../../src/record/spool-sync-policy.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'

const RECORDS = Number(process.env.SPOOL_BENCH_RECORDS ?? 100_000)
const PARENT = process.env.SPOOL_BENCH_DIR ?? tmpdir()
const PER_TURN = 256
const BLOCKING_RECORDS = 2000
const POLICIES: readonly SpoolSync[] = ['none', 'interval', 'always']

interface Cost {
  /** Wall-clock microseconds per record. */
  readonly wallUs: number
  /** Process CPU microseconds per record. */
  readonly cpuUs: number
}

async function measure(work: () => Promise<void>): Promise<Cost> {
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  await work()
  const wall = Number(process.hrtime.bigint() - start) / 1000
  const used = process.cpuUsage(cpu)
  return { wallUs: wall / RECORDS, cpuUs: (used.user + used.system) / RECORDS }
}

const messages = Array.from({ length: 1000 }, (_, i) => zeekMessage(i))
const message = (i: number): Buffer[] => messages[i % messages.length]!

async function baselineWrite(path: string): Promise<Cost> {
  const fd = openSync(path, 'w')
  let position = 0
  const cost = await measure(async () => {
    for (let i = 0; i < RECORDS; i++) {
      const [a, b] = message(i) as [Buffer, Buffer]
      position += writevSync(fd, [a, b], position)
      if (i % PER_TURN === 0) await nextTurn()
    }
  })
  closeSync(fd)
  return cost
}

/** What "always" would cost if it waited for the disk on the event loop: one fdatasync per record. */
async function blockingSync(path: string, records: number): Promise<number> {
  const fd = openSync(path, 'w')
  const start = process.hrtime.bigint()
  let position = 0
  for (let i = 0; i < records; i++) {
    const [a, b] = message(i) as [Buffer, Buffer]
    position += writevSync(fd, [a, b], position)
    fdatasyncSync(fd)
  }
  closeSync(fd)
  return Number(process.hrtime.bigint() - start) / 1000 / records
}

async function baselineRead(path: string): Promise<Cost> {
  const fd = openSync(path, 'r')
  const cost = await measure(async () => {
    let position = 0
    for (let read = -1; read !== 0; position += read) {
      read = readSync(fd, Buffer.allocUnsafe(CHUNK_BYTES), 0, CHUNK_BYTES, position)
      await nextTurn()
    }
  })
  closeSync(fd)
  return cost
}

async function liveRun(dir: string, sync: SpoolSync): Promise<Cost> {
  const spool = await DiskSpool.open(dir, { maxBytes: 16 * 1024 ** 3, sync })
  return measure(async () => {
    for (let i = 0; i < RECORDS; i++) {
      spool.append(message(i))
      await spool.peek()
      spool.ack()
      if (i % PER_TURN === 0) await nextTurn()
    }
    await spool.close()
  })
}

async function spoolRun(dir: string, sync: SpoolSync): Promise<{ append: Cost; replay: Cost; reopen: Cost; bytes: number; syncs: number }> {
  const options = { maxBytes: 16 * 1024 ** 3, sync }
  let spool = await DiskSpool.open(dir, options)
  const append = await measure(async () => {
    for (let i = 0; i < RECORDS; i++) {
      spool.append(message(i))
      if (i % PER_TURN === 0) await nextTurn()
    }
    await spool.close()
  })
  const { bytes, syncs } = spool.stats()
  const reopen = await measure(async () => {
    spool = await DiskSpool.open(dir, options)
  })
  const replay = await measure(async () => {
    for (let i = 0; (await spool.peek()) !== undefined; i++) {
      spool.ack()
      if (i % PER_TURN === 0) await nextTurn()
    }
    await spool.close()
  })
  return { append, replay, reopen, bytes, syncs }
}

const us = (value: number): string => value.toFixed(2)
const ratio = (value: number, base: number): string => `${(value / base).toFixed(1)}x`

async function main(): Promise<void> {
  const root = mkdtempSync(join(PARENT, 'zzs-spool-bench-'))
  try {
    console.log(`zeek-zmq-shipper spool bench: ${RECORDS} Zeek records (400 to 470 bytes), ${cpus().length} cores, Node.js ${process.version}, in ${PARENT}\n`)
    const baseFile = join(root, 'baseline')
    const write = await baselineWrite(baseFile)
    const read = await baselineRead(baseFile)
    console.log('| spool_sync | append µs/record (wall, CPU) | vs writev loop (wall) | fsync rounds while appending | replay µs/record (wall, CPU) | vs chunked readSync (wall) | reopen MB/s | live µs/record (wall, CPU) |')
    console.log('|---|---|---|---|---|---|---|---|')
    console.log(`| baseline | ${us(write.wallUs)}, ${us(write.cpuUs)} | 1.0x | | ${us(read.wallUs)}, ${us(read.cpuUs)} | 1.0x | | |`)
    for (const sync of POLICIES) {
      const run = await spoolRun(join(root, sync), sync)
      const mbPerS = run.bytes / (run.reopen.wallUs * RECORDS)
      const live = await liveRun(join(root, `${sync}-live`), sync)
      console.log(
        `| ${sync} | ${us(run.append.wallUs)}, ${us(run.append.cpuUs)} | ${ratio(run.append.wallUs, write.wallUs)} | ${run.syncs} | ` +
          `${us(run.replay.wallUs)}, ${us(run.replay.cpuUs)} | ${ratio(run.replay.wallUs, read.wallUs)} | ${mbPerS.toFixed(0)} | ${us(live.wallUs)}, ${us(live.cpuUs)} |`,
      )
    }
    const blocking = await blockingSync(join(root, 'blocking'), BLOCKING_RECORDS)
    console.log(`\nwritev + fdatasync per record on the event loop (${BLOCKING_RECORDS} records): ${us(blocking)} µs/record, ${ratio(blocking, write.wallUs)} the writev loop; at most ${Math.floor(1e6 / blocking)} records/s`)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

await main()
