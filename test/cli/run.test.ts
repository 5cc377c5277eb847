// The shipper process: start, SIGTERM/SIGINT with linger and the shutdown summary, and bad
// configuration that stops it before it binds anything.

import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { ROOT, spawnShipper } from './cli-process.ts'
import { bindAddress, ipcDir, publisher, subscriber, waitFor } from '../helpers/sockets.ts'
import { sampleValue } from '../helpers/shipper.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'

const LINGER_MS = 1500
// Exit must come within linger plus this: process teardown on a busy two-core machine.
const MARGIN_MS = 2000

async function queued(url: string, endpoint: string): Promise<number> {
  return sampleValue(await (await fetch(`${url}/metrics`)).text(), 'zeek_zmq_endpoint_queue_records', { endpoint })
}

describe('shutdown', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} with no subscriber: waits out linger, counts what is left, logs the summary, exits 0`, async (t) => {
      const dir = ipcDir(t)
      const shipper = spawnShipper(t, {
        ZEEK_ZMQ_INPUTS: `ipc://${join(dir, 'zeek.sock')}`,
        ZEEK_ZMQ_ENDPOINTS: `ipc://${join(dir, 'nobody.sock')}?name=nobody&linger=${LINGER_MS}`,
      })
      const { url } = (await shipper.logLine('shipper ready')) as { url: string }
      const pub = await publisher(t, `ipc://${join(dir, 'zeek.sock')}`)
      for (let i = 0; i < 25; i++) await pub.send(zeekMessage(i))
      await waitFor(async () => (await queued(url, 'nobody')) === 25, '25 queued records')

      const sentAt = Date.now()
      process.kill(shipper.pid, signal)
      const { code } = await shipper.exited
      const at = Date.now()
      assert.equal(code, 0)
      assert.ok(at - sentAt >= LINGER_MS - 100, `exited after ${at - sentAt} ms: linger not honoured`)
      assert.ok(at - sentAt < LINGER_MS + MARGIN_MS, `exited after ${at - sentAt} ms`)
      const summary = shipper.logs().find((l) => l.msg === 'endpoint summary')
      assert.deepEqual(
        { endpoint: summary?.endpoint, sent: summary?.sent, dropped: summary?.dropped, left: summary?.left },
        { endpoint: 'nobody', sent: 0, dropped: 25, left: 25 },
      )
      assert.equal(shipper.logs().at(-1)?.msg, 'stopped')
    })
  }

  test('SIGTERM: a subscriber that arrives within linger gets everything; exit comes as soon as the queue is empty', async (t) => {
    const dir = ipcDir(t)
    const late = `ipc://${join(dir, 'late.sock')}`
    const shipper = spawnShipper(t, {
      ZEEK_ZMQ_INPUTS: `ipc://${join(dir, 'zeek.sock')}`,
      ZEEK_ZMQ_ENDPOINTS: `${late}?name=late&linger=20000`,
    })
    const { url } = (await shipper.logLine('shipper ready')) as { url: string }
    const pub = await publisher(t, `ipc://${join(dir, 'zeek.sock')}`)
    const messages = Array.from({ length: 200 }, (_, i) => zeekMessage(i))
    for (const message of messages) await pub.send(message)
    await waitFor(async () => (await queued(url, 'late')) === 200, '200 queued records')

    process.kill(shipper.pid, 'SIGTERM')
    await shipper.logLine('shutting down')
    const sub = await subscriber(t, { bind: late })
    assert.deepEqual(await sub.take(200), messages)
    const { code } = await shipper.exited
    assert.equal(code, 0)
    const summary = shipper.logs().find((l) => l.msg === 'endpoint summary')
    assert.equal(summary?.sent, 200)
    assert.equal(summary?.left, 0)
  })
})

describe('shutdown under load', () => {
  test('SIGTERM while Zeek is still publishing: input stops, exit 0 within linger, every record accounted for', async (t) => {
    const dir = ipcDir(t)
    const shipper = spawnShipper(t, {
      ZEEK_ZMQ_INPUTS: `ipc://${join(dir, 'zeek.sock')}`,
      ZEEK_ZMQ_ENDPOINTS: `ipc://${join(dir, 'out.sock')}?name=out&mode=bind&linger=${LINGER_MS}`,
    })
    await shipper.logLine('shipper ready')
    const sub = await subscriber(t, { connect: `ipc://${join(dir, 'out.sock')}` })
    const pub = await publisher(t, `ipc://${join(dir, 'zeek.sock')}`)
    let publishing = true
    const published = (async () => {
      let i = 0
      while (publishing) {
        for (let k = 0; k < 20; k++) await pub.send(zeekMessage(i++))
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
      return i
    })()
    await sub.take(500)

    const sentAt = Date.now()
    process.kill(shipper.pid, 'SIGTERM')
    const { code } = await shipper.exited
    const took = Date.now() - sentAt
    publishing = false
    await published
    assert.equal(code, 0, shipper.stderr())
    assert.ok(took < LINGER_MS + MARGIN_MS, `exited after ${took} ms`)
    const summary = shipper.logs().find((l) => l.msg === 'endpoint summary')
    const received = (await sub.quiet(300)).length
    assert.equal(summary?.sent, received, 'the subscriber got exactly what the summary says was sent')
  })
})

describe('bad configuration', () => {
  test('exits 78 naming every offending variable, before binding anything', async (t) => {
    const dir = ipcDir(t)
    const input = join(dir, 'never', 'zeek.sock')
    const port = await freePort()
    const shipper = spawnShipper(t, {
      ZEEK_ZMQ_INPUTS: `ipc://${input}`,
      ZEEK_ZMQ_HTTP_PORT: String(port),
      ZEEK_ZMQ_ENDPOINTS: `udp://collector:5556 ${bindAddress(t, 'tcp')}?mode=bind&hwm=-5&color=blue`,
      ZEEK_ZMQ_LINGER_MS: 'soon',
    })
    const { code } = await shipper.exited
    assert.equal(code, 78)
    const stderr = shipper.stderr()
    assert.match(stderr, /invalid configuration/)
    assert.match(stderr, /ZEEK_ZMQ_ENDPOINTS: endpoint 1 \(udp:\/\/collector:5556\): .*"udp"/)
    assert.match(stderr, /ZEEK_ZMQ_ENDPOINTS: endpoint 2 .*hwm "-5"/)
    assert.match(stderr, /ZEEK_ZMQ_ENDPOINTS: endpoint 2 .*unknown query parameter "color"/)
    assert.match(stderr, /ZEEK_ZMQ_LINGER_MS: must be a non-negative integer/)
    assert.equal(existsSync(join(dir, 'never')), false, 'the input socket directory was not created')
    assert.equal(await listening(port), false, 'nothing listens on the HTTP port')
    assert.deepEqual(shipper.logs(), [])
  })
})

describe('addresses that used to fail at bind time, after HTTP was up', () => {
  test('a relative or too long ipc path, a bad tcp host and a misspelt variable: exit 78, each named, nothing bound', async (t) => {
    const dir = ipcDir(t)
    const port = await freePort()
    const long = `ipc://${join(dir, 'x'.repeat(120))}.sock`
    const shipper = spawnShipper(t, {
      ZEEK_ZMQ_INPUTS: `ipc://zeek.sock ${long}`,
      ZEEK_ZMQ_HTTP_PORT: String(port),
      ZEEK_ZMQ_ENDPOINTS: 'tcp://ho$t!:5999',
      ZEEK_ZMQ_ENDPIONTS: 'tcp://127.0.0.1:5999',
    })
    const { code } = await shipper.exited
    assert.equal(code, 78)
    const stderr = shipper.stderr()
    assert.match(stderr, /ZEEK_ZMQ_INPUTS: ipc address "ipc:\/\/zeek.sock" is a relative path/)
    assert.match(stderr, /ipc address "ipc:\/\/\S+" has a socket path of \d+ bytes; the longest the OS takes is/)
    assert.match(stderr, /ZEEK_ZMQ_ENDPOINTS: endpoint 1 \(tcp:\/\/ho\$t!:5999\): .*host "ho\$t!" is not a host name/)
    assert.match(stderr, /ZEEK_ZMQ_ENDPIONTS: not a setting of the shipper; did you mean ZEEK_ZMQ_ENDPOINTS\?/)
    assert.equal(existsSync(join(ROOT, 'zeek.sock')), false, 'nothing bound in the working directory')
    assert.equal(await listening(port), false, 'nothing listens on the HTTP port')
    assert.deepEqual(shipper.logs(), [])
  })
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.on('connect', () => (socket.destroy(), resolve(true)))
    socket.on('error', () => resolve(false))
  })
}

test('an unknown option is a usage error: exit 64', async (t) => {
  const shipper = spawnShipper(t, { ZEEK_ZMQ_ENDPOINTS: 'tcp://127.0.0.1:1' }, [process.execPath, 'src/cli/index.ts', 'run', '--bogus'])
  const { code } = await shipper.exited
  assert.equal(code, 64)
  assert.match(shipper.stderr(), /Unknown option '--bogus'/)
})

test('the HTTP port already in use: exit 1 promptly, nothing left bound', async (t) => {
  const busy = createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.after(() => busy.close())
  const dir = ipcDir(t)
  const shipper = spawnShipper(t, {
    ZEEK_ZMQ_HTTP_PORT: String((busy.address() as { port: number }).port),
    ZEEK_ZMQ_INPUTS: `ipc://${join(dir, 'zeek.sock')}`,
    ZEEK_ZMQ_ENDPOINTS: `ipc://${join(dir, 'out.sock')}?mode=bind tcp://127.0.0.1:1?name=unreachable`,
  })
  const { code } = await shipper.exited
  assert.equal(code, 1)
  assert.match(shipper.stderr(), /EADDRINUSE/)
  assert.equal(existsSync(join(dir, 'zeek.sock')), false, 'the input was never bound')
})
