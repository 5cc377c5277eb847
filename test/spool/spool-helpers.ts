// Test factories for spools in private temporary directories, and records that carry
// their own index, so that order, loss and duplicates can be read off what comes back.

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { DiskSpool, type SpoolOptions } from '../../src/spool/disk-spool.ts'

/** A private directory, removed after the test. */
export function spoolDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'zzs-spool-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Opens a spool that is closed after the test, unless the test closed it. */
export async function openSpool(t: TestContext, dir: string, options: Partial<SpoolOptions> = {}): Promise<DiskSpool> {
  const spool = await DiskSpool.open(dir, { maxBytes: 64 * 1024 * 1024, sync: 'none', ...options })
  t.after(() => spool.close())
  return spool
}

/**
 * The i-th test record: path "conn", and a record frame of `bytes` bytes (at least 16)
 * that starts with its index. With the 12-byte header and the 4-byte path, a record of
 * 84 bytes takes exactly 100 bytes in a segment.
 */
export function indexed(i: number, bytes = 84): Buffer[] {
  const head = `${String(i).padStart(12, '0')}|`
  return [Buffer.from('conn'), Buffer.from(head.padEnd(bytes, 'x'))]
}

export function indexOf(message: Buffer[]): number {
  return Number(message[1]!.subarray(0, 12).toString())
}

/** Peeks and acknowledges every record left, returning their indices. */
export async function drain(spool: DiskSpool): Promise<number[]> {
  const seen: number[] = []
  for (let message = await spool.peek(); message !== undefined; message = await spool.peek()) {
    seen.push(indexOf(message))
    spool.ack()
  }
  return seen
}

/** Sends (peeks and acknowledges) the `count` oldest records. */
export async function acknowledge(spool: DiskSpool, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await spool.peek()
    spool.ack()
  }
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k)
}

/** The segment files of a spool directory, oldest first, with their sizes. */
export function segmentFiles(dir: string): Array<{ name: string; path: string; size: number }> {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.seg'))
    .sort()
    .map((name) => ({ name, path: join(dir, name), size: statSync(join(dir, name)).size }))
}
