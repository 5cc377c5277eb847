// `zeek-zmq-shipper tail` as users run it: a child process, real sockets over tcp and ipc,
// in both directions (tail connects to a bound publisher, or binds and the publisher
// connects), stopped with a signal.

import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { XPublisher } from 'zeromq'
import { ndjsonLine } from '../../src/cli/tail.ts'
import { subscriber, waitFor } from '../helpers/sockets.ts'
import { spawnCli, type CliProcess } from './cli-process.ts'

type Transport = 'tcp' | 'ipc'

function ipcAddress(t: TestContext, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'zzs-tail-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return `ipc://${join(dir, name)}`
}

/** Stands in for a bind-mode endpoint or Zeek's writer; XPUB shows when the subscription arrives. */
function xpub(t: TestContext): XPublisher {
  const socket = new XPublisher({ linger: 0, receiveTimeout: 10_000 })
  t.after(() => socket.close())
  return socket
}

async function awaitSubscription(socket: XPublisher): Promise<void> {
  const [subscription] = await socket.receive()
  // 0x01 then an empty topic: the tail subscribes to every path.
  assert.deepEqual(subscription, Buffer.from([1]))
}

/** A publisher with a tail attached to it, in either direction, over either transport. */
async function publisherWithTail(t: TestContext, transport: Transport, tailBinds: boolean, extraArgs: string[]): Promise<{ pub: XPublisher; tail: CliProcess }> {
  const pub = xpub(t)
  let tail: CliProcess
  if (tailBinds) {
    const address = transport === 'tcp' ? 'tcp://127.0.0.1:*' : ipcAddress(t, 'tail.sock')
    tail = spawnCli(t, ['tail', address, '--bind', ...extraArgs])
    const bound = await tail.stderrMatching(/bound (\S+), waiting/)
    pub.connect(bound[1]!)
  } else {
    await pub.bind(transport === 'tcp' ? 'tcp://127.0.0.1:*' : ipcAddress(t, 'pub.sock'))
    tail = spawnCli(t, ['tail', pub.lastEndpoint!, ...extraArgs])
  }
  await awaitSubscription(pub)
  return { pub, tail }
}

const CONN = '{"ts":1700000000.25,"uid":"CmES5u32sYpV7JYN","id.orig_h":"10.0.0.7","id.orig_p":51234,"id.resp_h":"93.184.216.34","id.resp_p":443,"proto":"tcp","conn_state":"SF"}'
const DNS = '{"ts":1700000000.5,"uid":"C2","query":"example.com","qtype_name":"A","answers":["93.184.216.34"],"TTLs":[300.0]}'
const HTTP = '{"ts":1700000001.0,"uid":"C3","method":"GET","host":"example.com","uri":"/"}'

for (const transport of ['tcp', 'ipc'] as const) {
  for (const tailBinds of [false, true]) {
    const how = tailBinds ? 'tail binds, publisher connects' : 'publisher binds, tail connects'
    test(`ndjson over ${transport} (${how}): only the chosen paths, "_path" first, the record's bytes kept; SIGTERM exits 0`, async (t) => {
      const { pub, tail } = await publisherWithTail(t, transport, tailBinds, ['--path', 'conn,dns*'])
      await pub.send(['http', HTTP])
      await pub.send(['conn', CONN])
      await pub.send(['ssl', '{"ts":1700000001.5,"uid":"C4"}'])
      await pub.send(['dns', DNS])
      await pub.send(['dns-2', DNS])

      const lines = await tail.stdoutLines(3)
      assert.deepEqual(lines, [
        `{"_path":"conn",${CONN.slice(1)}`,
        `{"_path":"dns",${DNS.slice(1)}`,
        `{"_path":"dns-2",${DNS.slice(1)}`,
      ])
      for (const line of lines) assert.equal(Object.keys(JSON.parse(line) as object)[0], '_path')

      tail.kill('SIGTERM')
      const { code, signal } = await tail.exited
      assert.deepEqual({ code, signal }, { code: 0, signal: null })
      assert.equal(tail.stdout(), `${lines.join('\n')}\n`, 'http and ssl were never printed')
    })
  }
}

test('pretty prints the time, the path and key=value pairs; SIGINT exits 0', async (t) => {
  const { pub, tail } = await publisherWithTail(t, 'tcp', false, ['--format', 'pretty'])
  await pub.send(['conn', CONN])
  await pub.send(['dns', DNS])
  const [conn, dns] = await tail.stdoutLines(2)
  assert.match(conn!, /^2023-11-14T22:13:20\.250Z\s+conn\s+uid=CmES5u32sYpV7JYN id\.orig_h=10\.0\.0\.7 id\.orig_p=51234 .*conn_state=SF$/)
  assert.match(dns!, /^2023-11-14T22:13:20\.500Z\s+dns\s+.*query=example\.com .*answers=93\.184\.216\.34 TTLs=300$/)
  tail.kill('SIGINT')
  const { code } = await tail.exited
  assert.equal(code, 0)
})

test('a message that is not [path, record] is reported on stderr and skipped', async (t) => {
  const { pub, tail } = await publisherWithTail(t, 'ipc', false, [])
  await pub.send(['conn'])
  await pub.send(['conn', CONN])
  assert.deepEqual(await tail.stdoutLines(1), [`{"_path":"conn",${CONN.slice(1)}`])
  await tail.stderrMatching(/skipped a message of 1 frames/)
})

// What a terminal acts on or reorders: C0 (ESC, BEL, ...), DEL, C1 (CSI ...), and the
// bidirectional marks, embeddings, overrides and isolates.
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/

describe('hostile records', () => {
  test('pretty escapes control characters and bidirectional overrides in the path, keys and values', async (t) => {
    const { pub, tail } = await publisherWithTail(t, 'tcp', false, ['--format', 'pretty'])
    const record = JSON.stringify({
      ts: '\u001b]0;owned\u0007',
      msg: '\u001b[31mred\u0007',
      'evil\u202ekey': 'txt.exe\u202egpj',
      del: 'x\u007fy',
      csi: '\u009b2J',
      marks: 'a\u200e\u200fb\u2066c\u2069d',
      nested: { deep: '\u202d\u009d' },
      list: ['\u001b[2J', 'ok'],
    })
    await pub.send(['conn\u001b[2J', record])
    await pub.send(['conn', 'not json \u001b[31m \u202e \u0085'])
    await pub.send(['conn', '{"ts":1e300,"a":1}'])
    const lines = await tail.stdoutLines(3)
    for (const line of lines) assert.doesNotMatch(line, HIDDEN, JSON.stringify(line))
    const [first, second] = lines
    assert.match(first!, /^"\\u001b\]0;owned\\u0007"\s+"conn\\u001b\[2J"\s+msg="\\u001b\[31mred\\u0007" "evil\\u202ekey"="txt\.exe\\u202egpj" del="x\\u007fy" csi="\\u009b2J" marks="a\\u200e\\u200fb\\u2066c\\u2069d" nested=\{"deep":"\\u202d\\u009d"\} list="\\u001b\[2J",ok$/)
    assert.match(second!, /^-\s+conn\s+"not json \\u001b\[31m \\u202e \\u0085"$/)
    assert.match(lines[2]!, /^1e\+300\s+conn\s+a=1$/, 'a time no date can hold is printed as the number')
  })

  test('ndjson: every line is a JSON object whose "_path" is the path frame; what is not an object comes as "_raw"', async (t) => {
    const { pub, tail } = await publisherWithTail(t, 'ipc', false, [])
    const records: Array<[string | Buffer, Record<string, unknown>]> = [
      ['{"ts":1.0,"TTLs":[300.0]}', { _path: 'conn', ts: 1, TTLs: [300] }],
      ['[1,2]', { _path: 'conn', _raw: '[1,2]' }],
      ['"just a string"', { _path: 'conn', _raw: '"just a string"' }],
      ['{"a":1', { _path: 'conn', _raw: '{"a":1' }],
      ['{"a":1}{"b":2}', { _path: 'conn', _raw: '{"a":1}{"b":2}' }],
      ['{"a":1} trailing', { _path: 'conn', _raw: '{"a":1} trailing' }],
      ['{"a":"\u001b[2J raw ESC is not JSON"}', { _path: 'conn', _raw: '{"a":"\u001b[2J raw ESC is not JSON"}' }],
      ['{"_path":"ssh","a":1}', { _path: 'conn', _record_path: 'ssh', a: 1 }],
      ['{"a":1,"_path":"ssh"}', { _path: 'conn', a: 1, _record_path: 'ssh' }],
      ['{"\\u005fpath":"ssh"}', { _path: 'conn', _record_path: 'ssh' }],
      ['{"_path":"conn","_path":"ssh"}', { _path: 'conn', _record_path: 'ssh' }],
      ['{"_path":"conn","a":1}', { _path: 'conn', a: 1 }],
      [Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { _path: 'conn', a: '\ufffd\ufffd' }],
    ]
    for (const [record] of records) await pub.send(['conn', record])
    const lines = await tail.stdoutLines(records.length)
    assert.equal(lines[0], '{"_path":"conn","ts":1.0,"TTLs":[300.0]}', 'a valid record keeps its bytes')
    lines.forEach((line, i) => {
      const parsed = JSON.parse(line) as Record<string, unknown>
      assert.deepEqual(parsed, records[i]![1], line)
      assert.equal(Object.keys(parsed)[0], '_path')
    })
  })
})

test('--bind leaves the socket of another process and any other file at an ipc path alone: exit 1', { timeout: 30_000 }, async (t) => {
  const pub = xpub(t)
  const live = ipcAddress(t, 'live.sock')
  await pub.bind(live)
  const file = ipcAddress(t, 'file.sock').slice('ipc://'.length)
  writeFileSync(file, 'keep')
  for (const [address, message] of [[live, /tail ipc:\S+live\.sock: another process is bound there/], [`ipc://${file}`, /a regular file, not a socket; it was left as it is/]] as const) {
    const tail = spawnCli(t, ['tail', address, '--bind'])
    const { code } = await tail.exited
    assert.equal(code, 1)
    assert.match(tail.stderr(), message)
  }
  assert.equal(readFileSync(file, 'utf8'), 'keep')
  const sub = await subscriber(t, { connect: live })
  await waitFor(async () => {
    await pub.send(['conn', CONN])
    return sub.received.length > 0
  }, 'the first publisher to still deliver')
})

describe('bad arguments exit 64 and say what is wrong', () => {
  const cases: [string, string[], RegExp][] = [
    ['no address', ['tail'], /no ADDRESS given/],
    ['two addresses', ['tail', 'tcp://127.0.0.1:1', 'tcp://127.0.0.1:2'], /one ADDRESS expected, got 2/],
    ['an unknown transport', ['tail', 'udp://127.0.0.1:5556'], /transport "udp"/],
    ['a wildcard port without --bind', ['tail', 'tcp://127.0.0.1:*'], /needs a port number to connect to/],
    ['a port out of range', ['tail', 'tcp://127.0.0.1:70000'], /outside 1-65535/],
    ['an unknown format', ['tail', 'tcp://127.0.0.1:5556', '--format', 'csv'], /--format "csv" is neither ndjson nor pretty/],
    ['a bad path pattern', ['tail', 'tcp://127.0.0.1:5556', '--path', 'conn,http/x'], /--path: "http\/x" is not a log path pattern/],
    ['an empty path list', ['tail', 'tcp://127.0.0.1:5556', '--path', ' , '], /--path names no log path/],
    ['an unknown option', ['tail', 'tcp://127.0.0.1:5556', '--follow'], /Unknown option '--follow'/],
  ]
  for (const [what, args, message] of cases) {
    test(what, async (t) => {
      const tail = spawnCli(t, args)
      const { code } = await tail.exited
      assert.equal(code, 64)
      assert.match(tail.stderr(), message)
      assert.match(tail.stderr(), /zeek-zmq-shipper tail --help/)
      assert.equal(tail.stdout(), '')
    })
  }
})

test('--help prints the usage and exits 0', async (t) => {
  const tail = spawnCli(t, ['tail', '--help'])
  const { code } = await tail.exited
  assert.equal(code, 0)
  assert.match(tail.stdout(), /^usage: zeek-zmq-shipper tail ADDRESS \[--bind\] \[--path LIST\] \[--format ndjson\|pretty\]/)
})

describe('ndjsonLine', () => {
  const cases: [string, string, string][] = [
    ['splices "_path" into a Zeek record', '{"ts":1.5,"uid":"C1"}', '{"_path":"conn","ts":1.5,"uid":"C1"}'],
    ['keeps an empty object valid', ' { } \n', '{"_path":"conn"}'],
    ['trims white space around the record', '  {"a":1}  ', '{"_path":"conn","a":1}'],
    ['re-encodes a multi-line record onto one line', '{\n  "a": [1,\n 2]\n}', '{"_path":"conn","a":[1,2]}'],
    ['keeps a "_path" the publisher already wrote', '{"_path":"conn","a":1}', '{"_path":"conn","a":1}'],
    ['wraps a JSON value that is not an object', '[1,2]', '{"_path":"conn","_raw":"[1,2]"}'],
    ['wraps text that is not JSON', 'conn line\tfrom a TSV writer', '{"_path":"conn","_raw":"conn line\\tfrom a TSV writer"}'],
  ]
  for (const [what, record, expected] of cases) {
    test(what, () => {
      const line = ndjsonLine('conn', Buffer.from(record))
      assert.equal(line, `${expected}\n`)
      JSON.parse(line)
    })
  }
})
