// A process that appends to a spool (and, with "read", replays it alongside) until it is
// killed: the crash tests SIGKILL it at a moment of their choosing. It reports on stdout,
// after the fact, each record appended ("a N"), handed out by peek ("s N") and acknowledged
// ("k N"); a pipe's writes are synchronous on Linux, so every line the test reads was true
// before the kill.
//
//   node test/spool/spool-writer.ts DIR [read] [SYNC]

import { writeSync } from 'node:fs'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { DiskSpool } from '../../src/spool/disk-spool.ts'
import type { SpoolSync } from '../../src/record/spool-sync-policy.ts'
import { indexed, indexOf } from './spool-helpers.ts'

const [dir, mode = 'write', sync = 'interval'] = process.argv.slice(2)
const spool = await DiskSpool.open(dir!, { maxBytes: 1024 * 1024 * 1024, sync: sync as SpoolSync, segmentBytes: 64 * 1024, syncIntervalMs: 50 })
const say = (line: string): void => void writeSync(1, `${line}\n`)
say(`open ${spool.records}`)

// Records of 16 bytes to 64 KiB, so that a kill can land in the middle of a large write.
const sizeOf = (i: number): number => 16 + ((i * 7919) % 6 === 0 ? (i * 104729) % 65_520 : (i * 31) % 400)

for (let i = 0; ; i++) {
  spool.append(indexed(i, sizeOf(i)))
  say(`a ${i}`)
  if (mode === 'read' && i % 2 === 0) {
    const message = await spool.peek()
    if (message !== undefined) {
      say(`s ${indexOf(message)}`)
      spool.ack()
      say(`k ${indexOf(message)}`)
    }
  }
  if (i % 64 === 0) await nextTurn()
}
