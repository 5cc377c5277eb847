// Binding an ipc path takes the file there, whatever it is: ZeroMQ unlinks it first. So
// the shipper looks before it binds anything: another process's live socket is refused,
// a stale socket file is replaced (and logged), anything else is refused and left alone.

import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { spawnShipper, type CliProcess } from '../cli/cli-process.ts'
import { ipcDir, publisher, subscriber } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'

/** A shipper whose input is `input` and whose one endpoint connects to a subscriber bound at `out`. */
async function deliveringShipper(t: TestContext, input: string, out: string): Promise<CliProcess> {
  const shipper = spawnShipper(t, { ZEEK_ZMQ_INPUTS: input, ZEEK_ZMQ_ENDPOINTS: `${out}?name=out` })
  await shipper.logLine('shipper ready')
  return shipper
}

/** Zeek publishes to `input`; the subscriber at `out` gets every record. */
async function delivers(t: TestContext, input: string, sub: Awaited<ReturnType<typeof subscriber>>, from: number): Promise<void> {
  const pub = await publisher(t, input)
  const messages = Array.from({ length: 10 }, (_, i) => zeekMessage(from + i))
  for (const message of messages) await pub.send(message)
  assert.deepEqual((await sub.take(sub.received.length + 10)).slice(-10), messages)
}

/** Refused before anything was bound or listened on: exit 1, no log line at all. */
async function refused(shipper: CliProcess, message: RegExp): Promise<void> {
  const { code } = await shipper.exited
  assert.equal(code, 1, shipper.stderr())
  assert.match(shipper.stderr(), message)
  assert.deepEqual(shipper.logs(), [], 'nothing was started: no HTTP, no socket')
}

test('a second shipper on the same ipc path is refused at start; the first keeps delivering', { timeout: 60_000 }, async (t) => {
  const dir = ipcDir(t)
  const input = `ipc://${join(dir, 'zeek.sock')}`
  const sub = await subscriber(t, { bind: `ipc://${join(dir, 'out.sock')}` })
  await deliveringShipper(t, input, `ipc://${join(dir, 'out.sock')}`)
  await delivers(t, input, sub, 0)

  // The same input, spelt differently.
  const second = spawnShipper(t, { ZEEK_ZMQ_INPUTS: `ipc://${dir}/./zeek.sock`, ZEEK_ZMQ_ENDPOINTS: `ipc://${join(dir, 'other.sock')}?mode=bind` })
  await refused(second, new RegExp(`the input ipc://${dir}/\\./zeek\\.sock: another process is bound there`))
  assert.equal(existsSync(join(dir, 'other.sock')), false, 'the endpoint was not bound either')
  // A bind-mode endpoint on the first one's input.
  const third = spawnShipper(t, { ZEEK_ZMQ_INPUTS: `ipc://${join(dir, 'zeek3.sock')}`, ZEEK_ZMQ_ENDPOINTS: `${input}?mode=bind&name=thief` })
  await refused(third, new RegExp(`endpoint "thief" ${input}: another process is bound there`))
  assert.equal(existsSync(join(dir, 'zeek3.sock')), false, 'the input was not bound')

  await delivers(t, input, sub, 10)
})

test('a stale socket file (nobody accepts) is replaced, with a log line', { timeout: 60_000 }, async (t) => {
  const dir = ipcDir(t)
  const path = join(dir, 'zeek.sock')
  // A process that bound the socket and died without removing it.
  execFileSync('/usr/bin/python3', ['-c', 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path])
  assert.ok(lstatSync(path).isSocket())

  const sub = await subscriber(t, { bind: `ipc://${join(dir, 'out.sock')}` })
  const shipper = await deliveringShipper(t, `ipc://${path}`, `ipc://${join(dir, 'out.sock')}`)
  const line = shipper.logs().find((l) => l.msg === 'replaced a stale socket file')
  assert.equal(line?.address, `ipc://${path}`)
  await delivers(t, `ipc://${path}`, sub, 0)
})

test('a regular file or a directory at the path is refused and left as it was', { timeout: 60_000 }, async (t) => {
  const dir = ipcDir(t)
  const file = join(dir, 'zeek.sock')
  writeFileSync(file, 'not a socket\n')
  const directory = join(dir, 'out.sock')
  mkdirSync(directory)
  writeFileSync(join(directory, 'keep'), 'x')

  const shipper = spawnShipper(t, { ZEEK_ZMQ_INPUTS: `ipc://${file}`, ZEEK_ZMQ_ENDPOINTS: `ipc://${directory}?mode=bind&name=out` })
  await refused(shipper, new RegExp(`the input ipc://${file}: .*a regular file, not a socket; it was left as it is`))
  assert.match(shipper.stderr(), new RegExp(`endpoint "out" ipc://${directory}: .*a directory, not a socket; it was left as it is`))
  assert.equal(readFileSync(file, 'utf8'), 'not a socket\n')
  assert.equal(readFileSync(join(directory, 'keep'), 'utf8'), 'x')
})
