// Configuration: every setting from the environment (or a JSON file under it), and every
// mistake reported at once, naming the variable that holds it.

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { loadConfig, type Env } from '../../src/config/load-config.ts'
import { isShipperError } from '../../src/errors.ts'
import { ipcDir } from '../helpers/sockets.ts'

function problemsOf(env: Env): string[] {
  try {
    loadConfig(env)
  } catch (err) {
    assert.ok(isShipperError(err, 'ERR_CONFIG'), `expected a configuration error, got ${String(err)}`)
    return err.problems as string[]
  }
  assert.fail('the configuration was accepted')
}

describe('valid configuration', () => {
  test('defaults and a full endpoint spec', () => {
    const config = loadConfig({
      ZEEK_ZMQ_ENDPOINTS: 'tcp://collector:5556?name=siem&hwm=25000&hwm_bytes=1000000&linger=5000&include=http,files&exclude=conn&mode=connect',
    })
    assert.deepEqual(config.inputs, ['ipc:///run/zeek-zmq/zeek.sock'])
    assert.equal(config.httpHost, '0.0.0.0')
    assert.equal(config.httpPort, 8080)
    assert.equal(config.logLevel, 'info')
    assert.equal(config.maxRecordBytes, 1048576)
    assert.equal(config.memoryLimitBytes, 268435456)
    assert.deepEqual(config.endpoints, [
      {
        name: 'siem',
        address: 'tcp://collector:5556',
        transport: 'tcp',
        mode: 'connect',
        hwm: 25000,
        hwmBytes: 1000000,
        lingerMs: 5000,
        include: ['http', 'files'],
        exclude: ['conn'],
        peerTimeoutMs: 0,
        maxRecordBytes: 1048576,
        maxTopicBytes: 256,
        maxSubscriptions: 1024,
      },
    ])
  })

  test('several specs separated by white space or ";", falling back on the global defaults', () => {
    const config = loadConfig({
      ZEEK_ZMQ_ENDPOINTS: ' tcp://[::1]:5556\n ipc:///run/out.sock?mode=bind;tcp://*:7000?mode=bind&name=fanout&include= ',
      ZEEK_ZMQ_HWM: '5000',
      ZEEK_ZMQ_LINGER_MS: '0',
      ZEEK_ZMQ_SEND_LOGS: 'dns*, http',
      ZEEK_ZMQ_EXCLUDED_LOGS: 'dns-2',
      ZEEK_ZMQ_INPUTS: 'ipc:///run/zeek-zmq/zeek.sock, tcp://0.0.0.0:5555',
    })
    assert.deepEqual(
      config.endpoints.map((e) => [e.name, e.mode, e.hwm, e.lingerMs, e.include, e.exclude]),
      [
        ['tcp://[::1]:5556', 'connect', 5000, 0, ['dns*', 'http'], ['dns-2']],
        ['ipc:///run/out.sock', 'bind', 5000, 0, ['dns*', 'http'], ['dns-2']],
        ['fanout', 'bind', 5000, 0, [], ['dns-2']],
      ],
    )
    assert.deepEqual(config.inputs, ['ipc:///run/zeek-zmq/zeek.sock', 'tcp://0.0.0.0:5555'])
  })

  test('a JSON file, with endpoints as objects; the environment overrides it', (t) => {
    const file = join(ipcDir(t), 'shipper.json')
    writeFileSync(file, JSON.stringify({
      endpoints: [{ address: 'tcp://siem:5556', name: 'siem', hwm: 100, include: ['http', 'files'] }, 'ipc:///run/b.sock?mode=bind'],
      lingerMs: 1000,
      logLevel: 'debug',
    }))
    const config = loadConfig({ ZEEK_ZMQ_CONFIG: file, ZEEK_ZMQ_LOG_LEVEL: 'warn' })
    assert.equal(config.logLevel, 'warn')
    assert.deepEqual(config.endpoints.map((e) => [e.name, e.hwm, e.lingerMs, e.include]), [
      ['siem', 100, 1000, ['http', 'files']],
      ['ipc:///run/b.sock', 1000, 1000, []],
    ])
  })
})

describe('invalid configuration names every problem and its variable', () => {
  const cases: Array<[string, Env, RegExp]> = [
    ['no endpoints', {}, /^ZEEK_ZMQ_ENDPOINTS: no endpoints/],
    ['unknown transport', { ZEEK_ZMQ_ENDPOINTS: 'udp://x:1' }, /^ZEEK_ZMQ_ENDPOINTS: endpoint 1 \(udp:\/\/x:1\): .*transport "udp"/],
    ['unknown transport on an input', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_INPUTS: 'inproc://x' }, /^ZEEK_ZMQ_INPUTS: .*transport "inproc"/],
    ['bad port', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:70000' }, /^ZEEK_ZMQ_ENDPOINTS: .*port 70000/],
    ['no port', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a' }, /^ZEEK_ZMQ_ENDPOINTS: .*not of the form tcp:\/\/host:port/],
    ['wildcard port to connect to', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:*' }, /^ZEEK_ZMQ_ENDPOINTS: .*needs a port number/],
    ['bad HTTP port', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_HTTP_PORT: '99999' }, /^ZEEK_ZMQ_HTTP_PORT: /],
    ['hwm not a positive integer', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?hwm=0' }, /^ZEEK_ZMQ_ENDPOINTS: .*hwm "0" is not a positive integer/],
    ['global hwm not a positive integer', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_HWM: '1.5' }, /^ZEEK_ZMQ_HWM: must be a positive integer/],
    ['linger negative', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?linger=-1' }, /^ZEEK_ZMQ_ENDPOINTS: .*linger "-1"/],
    ['unknown query parameter', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?hmw=5' }, /^ZEEK_ZMQ_ENDPOINTS: .*unknown query parameter "hmw"/],
    ['unknown mode', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?mode=push' }, /^ZEEK_ZMQ_ENDPOINTS: .*mode "push"/],
    ['bad filter pattern', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?include=conn/x' }, /^ZEEK_ZMQ_ENDPOINTS: .*include: "conn\/x" is not a log path pattern/],
    ['bad global filter', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_EXCLUDED_LOGS: 'HTTP::LOG' }, /^ZEEK_ZMQ_EXCLUDED_LOGS: /],
    ['duplicate names', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?name=x tcp://b:1?name=x' }, /^ZEEK_ZMQ_ENDPOINTS: endpoint name "x" is used twice/],
    ['bad log level', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_LOG_LEVEL: 'loud' }, /^ZEEK_ZMQ_LOG_LEVEL: /],
    ['no inputs', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_INPUTS: ' ' }, /^ZEEK_ZMQ_INPUTS: no inputs/],
    ['HTTP port with trailing garbage', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_HTTP_PORT: '80abc' }, /^ZEEK_ZMQ_HTTP_PORT: must be a port number/],
    ['HTTP port not a whole number', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_HTTP_PORT: '8080.5' }, /^ZEEK_ZMQ_HTTP_PORT: must be a port number/],
    ['linger beyond what ZeroMQ takes', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_LINGER_MS: '3000000000' }, /^ZEEK_ZMQ_LINGER_MS: must be a non-negative integer up to 2147483647/],
    ['endpoint linger beyond what ZeroMQ takes', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?linger=99999999999999999999' }, /^ZEEK_ZMQ_ENDPOINTS: .*linger "99999999999999999999" is not a non-negative integer up to/],
    ['endpoint hwm beyond int32', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?hwm=3000000000' }, /^ZEEK_ZMQ_ENDPOINTS: .*hwm "3000000000"/],
    ['peer timeout too short', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_PEER_TIMEOUT_MS: '5' }, /^ZEEK_ZMQ_PEER_TIMEOUT_MS: must be 0 \(off\) or a number of milliseconds from 1000/],
    ['an endpoint bound where the input is', { ZEEK_ZMQ_INPUTS: 'ipc:///run/x.sock', ZEEK_ZMQ_ENDPOINTS: 'ipc:///run/x.sock?mode=bind&name=b' }, /^ZEEK_ZMQ_ENDPOINTS: ipc:\/\/\/run\/x.sock is bound by both the input and endpoint "b"/],
    ['two endpoints bound on one address', { ZEEK_ZMQ_ENDPOINTS: 'tcp://*:7000?mode=bind&name=a tcp://*:7000?mode=bind&name=b' }, /^ZEEK_ZMQ_ENDPOINTS: tcp:\/\/\*:7000 is bound by both endpoint "a" and endpoint "b"/],
    ['missing config file', { ZEEK_ZMQ_CONFIG: '/nonexistent/shipper.json', ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1' }, /^ZEEK_ZMQ_CONFIG: cannot read/],
  ]
  for (const [what, env, expected] of cases) {
    test(what, () => {
      const problems = problemsOf(env)
      assert.ok(problems.some((p) => expected.test(p)), `no problem matched ${expected}:\n${problems.join('\n')}`)
    })
  }

  test('all problems are reported at once', () => {
    const problems = problemsOf({
      ZEEK_ZMQ_ENDPOINTS: 'udp://x:1 tcp://h:99999?foo=1',
      ZEEK_ZMQ_HWM: 'abc',
      ZEEK_ZMQ_HTTP_PORT: '-1',
      ZEEK_ZMQ_INPUTS: 'pgm://x',
    })
    for (const variable of ['ZEEK_ZMQ_ENDPOINTS', 'ZEEK_ZMQ_HWM', 'ZEEK_ZMQ_HTTP_PORT', 'ZEEK_ZMQ_INPUTS']) {
      assert.ok(problems.some((p) => p.startsWith(`${variable}`)), `${variable} is named:\n${problems.join('\n')}`)
    }
    assert.equal(problems.filter((p) => p.startsWith('ZEEK_ZMQ_ENDPOINTS')).length, 3)
  })

  test('a config file: bad JSON, unknown keys and bad values name the file key', (t) => {
    const dir = ipcDir(t)
    const broken = join(dir, 'broken.json')
    writeFileSync(broken, '{ "endpoints": ')
    assert.match(problemsOf({ ZEEK_ZMQ_CONFIG: broken })[0]!, /^ZEEK_ZMQ_CONFIG: .* is not valid JSON/)

    const wrong = join(dir, 'wrong.json')
    writeFileSync(wrong, JSON.stringify({ endpoint: 'tcp://a:1', hwm: -3, endpoints: [{ adress: 'tcp://a:1' }] }))
    const problems = problemsOf({ ZEEK_ZMQ_CONFIG: wrong })
    assert.ok(problems.some((p) => p.startsWith(`"endpoint" in ${wrong} is not a setting`)), problems.join('\n'))
    assert.ok(problems.some((p) => p.startsWith(`ZEEK_ZMQ_HWM (or "hwm" in ${wrong}): must be a positive integer`)), problems.join('\n'))
    assert.ok(problems.some((p) => /unknown key "adress"/.test(p)), problems.join('\n'))
  })
})
