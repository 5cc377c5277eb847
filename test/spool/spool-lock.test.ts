// One owner per spool directory: a second one, in this process or another live one, is
// refused with an error naming the directory; a lock left by a process that is gone is
// taken over.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { DiskSpool } from '../../src/spool/disk-spool.ts'
import { isShipperError } from '../../src/errors.ts'
import { openSpool, spoolDir } from './spool-helpers.ts'

const OPTIONS = { maxBytes: 1 << 20, sync: 'none' } as const

function refusal(dir: string, owner: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(isShipperError(err, 'ERR_SPOOL'), String(err))
    assert.ok(err.message.includes(dir), err.message)
    assert.match(err.message, owner)
    return true
  }
}

describe('one owner per directory', () => {
  test('a second spool on the same directory in one process is refused until the first closes', async (t) => {
    const dir = spoolDir(t)
    const first = await openSpool(t, dir)
    await assert.rejects(DiskSpool.open(dir, OPTIONS), refusal(dir, /in use by another endpoint of this process/))
    await assert.rejects(DiskSpool.open(`${dir}/.`, OPTIONS), refusal(dir, /another endpoint/), 'however the path is spelt')
    await first.close()
    const second = await DiskSpool.open(dir, OPTIONS)
    await second.close()
  })

  test('a directory held by another live process is refused, naming the directory and the process', async (t) => {
    const dir = spoolDir(t)
    const holder = spawn(process.execPath, ['--input-type=module', '-e', `
      const { DiskSpool } = await import(${JSON.stringify(new URL('../../src/spool/disk-spool.ts', import.meta.url).href)})
      await DiskSpool.open(${JSON.stringify(dir)}, { maxBytes: 1 << 20, sync: 'none' })
      console.log('held'); setInterval(() => {}, 1000)`], { stdio: ['ignore', 'pipe', 'inherit'] })
    t.after(() => holder.kill('SIGKILL'))
    await once(holder.stdout, 'data')
    await assert.rejects(DiskSpool.open(dir, OPTIONS), refusal(dir, new RegExp(`in use by process ${holder.pid}`)))
  })

  test('a lock naming a process that is gone, or this pid in an earlier life, is stale and taken over', async (t) => {
    const dir = spoolDir(t)
    const dead = spawn(process.execPath, ['-e', ''])
    await once(dead, 'exit')
    for (const content of [`${dead.pid} 12345\n`, `${process.pid} 1\n`, '', 'garbage']) {
      writeFileSync(join(dir, 'lock'), content)
      const spool = await DiskSpool.open(dir, OPTIONS)
      assert.match(readFileSync(join(dir, 'lock'), 'utf8'), new RegExp(`^${process.pid} \\d+\\n$`))
      await spool.close()
    }
  })

  test('a directory that cannot be made is an ERR_SPOOL naming it', async (t) => {
    const file = join(spoolDir(t), 'not-a-directory')
    writeFileSync(file, '')
    await assert.rejects(DiskSpool.open(join(file, 'spool'), OPTIONS), refusal(join(file, 'spool'), /cannot create the spool directory/))
  })
})
