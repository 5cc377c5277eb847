// SIGKILL of a process writing to (and replaying from) its spool: on reopening, every
// record it had appended is there in order except at most one torn record, which is cut
// off and counted; no acknowledged record comes back; and at most one record (the one
// handed out but not yet acknowledged at the kill) is sent a second time.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, test, type TestContext } from 'node:test'
import { DiskSpool } from '../../src/spool/disk-spool.ts'
import { drain, openSpool, range, spoolDir } from './spool-helpers.ts'

const WRITER = fileURLToPath(new URL('./spool-writer.ts', import.meta.url))

interface Report {
  /** Highest index reported appended, handed out (sent) and acknowledged before the kill. */
  readonly appended: number
  readonly sent: number
  readonly acked: number
}

/** Runs the writer until it has appended `count` records, then SIGKILLs it. */
async function killedWriter(t: TestContext, dir: string, mode: 'write' | 'read', count: number, sync = 'interval'): Promise<Report> {
  const child = spawn(process.execPath, [WRITER, dir, mode, sync], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(() => child.kill('SIGKILL'))
  const last = { a: -1, s: -1, k: -1 }
  let rest = ''
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n')
    rest = lines.pop()!
    for (const line of lines) {
      const [kind, n] = line.split(' ') as [keyof typeof last | 'open', string]
      if (kind !== 'open') last[kind] = Number(n)
    }
    if (last.a >= count) child.kill('SIGKILL')
  })
  assert.equal(await exited, 'SIGKILL', 'the writer ran until killed')
  return { appended: last.a, sent: last.s, acked: last.k }
}

describe('SIGKILL', () => {
  for (const sync of ['none', 'always'] as const) {
    test(`of a process appending (sync=${sync}): every record it appended is there, in order`, async (t) => {
      const dir = spoolDir(t)
      const report = await killedWriter(t, dir, 'write', 3000, sync)
      const spool = await openSpool(t, dir)
      const { truncatedRecords, truncatedBytes } = spool.stats()
      assert.ok(truncatedRecords <= 1, `at most the record being written is torn (${truncatedRecords})`)
      assert.equal(truncatedRecords === 0, truncatedBytes === 0)
      const seen = await drain(spool)
      assert.ok(seen.length >= report.appended + 1, `${seen.length} records, ${report.appended + 1} reported appended`)
      assert.deepEqual(seen, range(0, seen.length), 'a prefix of what was appended, in order, without gaps or duplicates')
    })
  }

  test('of a process appending and replaying: nothing acknowledged comes back; at most one record is sent twice', async (t) => {
    const dir = spoolDir(t)
    const report = await killedWriter(t, dir, 'read', 4000)
    assert.ok(report.acked > 0)
    const spool = await openSpool(t, dir)
    const seen = await drain(spool)
    const first = seen[0]!
    assert.ok(first > report.acked, `resends from ${first}, after the last acknowledged ${report.acked}`)
    assert.ok(report.sent - first + 1 <= 1, `records sent before the kill and again after it: ${Math.max(0, report.sent - first + 1)}`)
    assert.deepEqual(seen, range(first, first + seen.length), 'in order, no gaps')
    assert.ok(first + seen.length >= report.appended + 1, 'every record reported appended is delivered')
    assert.ok(spool.stats().truncatedRecords <= 1)
  })

  test('a stale lock left by the killed process is taken over', async (t) => {
    const dir = spoolDir(t)
    await killedWriter(t, dir, 'write', 10)
    const spool = await DiskSpool.open(dir, { maxBytes: 1 << 20, sync: 'none' })
    await spool.close()
  })
})
