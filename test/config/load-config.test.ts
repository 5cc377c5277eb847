// Configuration: every setting from the environment (or a JSON file under it), and every
// mistake reported at once, naming the variable that holds it.

import assert from 'node:assert/strict'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { loadConfig, type Env } from '../../src/config/load-config.ts'
import { problemsOf, testProblems } from '../helpers/config-problems.ts'
import { ipcDir } from '../helpers/sockets.ts'

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
    assert.equal(config.maxPaths, 1024)
    assert.equal(config.pathIdleS, 3600)
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

  test('host names, IPv4, [IPv6], "*" to bind, and ipc paths up to the OS limit', () => {
    const longest = `ipc:///${'d'.repeat(106)}`
    const config = loadConfig({
      ZEEK_ZMQ_INPUTS: `${longest} tcp://*:5555 tcp://[::]:5557`,
      ZEEK_ZMQ_ENDPOINTS: 'tcp://collector-1.example.net:1 tcp://zeek_shipper:2 tcp://10.1.2.3:3 tcp://[fe80::1%eth0]:4 tcp://[::ffff:10.0.0.1]:5 tcp://localhost:6 tcp://*:7?mode=bind',
    })
    assert.deepEqual(config.inputs, [longest, 'tcp://*:5555', 'tcp://[::]:5557'])
    assert.equal(config.endpoints.length, 7)
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

  test("$(NAME) in the file's endpoints is the environment's variable, as Kubernetes fills in a container's (a ConfigMap file it does not)", (t) => {
    const file = join(ipcDir(t), 'shipper.json')
    writeFileSync(file, JSON.stringify({
      endpoints: [{ address: 'tcp://$(NODE_IP):5556', name: 'node', mode: 'bind' }, 'tcp://$(COLLECTOR):5557?name=$(COLLECTOR)'],
      logLevel: '$(NODE_IP)-is-not-expanded-outside-endpoints',
    }))
    const env = { ZEEK_ZMQ_CONFIG: file, NODE_IP: '127.0.0.1', COLLECTOR: 'siem.example.net', ZEEK_ZMQ_LOG_LEVEL: 'warn' }
    assert.deepEqual(loadConfig(env).endpoints.map((e) => [e.name, e.address]), [
      ['node', 'tcp://127.0.0.1:5556'],
      ['siem.example.net', 'tcp://siem.example.net:5557'],
    ])
    const problems = problemsOf({ ZEEK_ZMQ_CONFIG: file, NODE_IP: '127.0.0.1' })
    assert.ok(problems.some((p) => p === `ZEEK_ZMQ_ENDPOINTS (or "endpoints" in ${file}): $(COLLECTOR) names a variable that is not set in the environment`), problems.join('\n'))
    assert.ok(problems.some((p) => p.startsWith('ZEEK_ZMQ_LOG_LEVEL')), 'other settings are taken as written')
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
    ['no paths at all', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_MAX_PATHS: '0' }, /^ZEEK_ZMQ_MAX_PATHS: must be a positive integer up to 65536/],
    ['more paths than a scrape should carry', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_MAX_PATHS: '100000' }, /^ZEEK_ZMQ_MAX_PATHS: must be a positive integer up to 65536/],
    ['paths that never stay', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_PATH_IDLE_S: '0' }, /^ZEEK_ZMQ_PATH_IDLE_S: must be a number of seconds from 1 to 2592000/],
    ['a path idle time in minutes', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_PATH_IDLE_S: '60m' }, /^ZEEK_ZMQ_PATH_IDLE_S: must be a number of seconds/],
    ['an endpoint bound where the input is', { ZEEK_ZMQ_INPUTS: 'ipc:///run/x.sock', ZEEK_ZMQ_ENDPOINTS: 'ipc:///run/x.sock?mode=bind&name=b' }, /^ZEEK_ZMQ_ENDPOINTS: ipc:\/\/\/run\/x.sock is bound by both the input and endpoint "b"/],
    ['two endpoints bound on one address', { ZEEK_ZMQ_ENDPOINTS: 'tcp://*:7000?mode=bind&name=a tcp://*:7000?mode=bind&name=b' }, /^ZEEK_ZMQ_ENDPOINTS: tcp:\/\/\*:7000 is bound by both endpoint "a" and endpoint "b"/],
    ['missing config file', { ZEEK_ZMQ_CONFIG: '/nonexistent/shipper.json', ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1' }, /^ZEEK_ZMQ_CONFIG: cannot read/],
    ['a relative ipc input', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_INPUTS: 'ipc://relative.sock' }, /^ZEEK_ZMQ_INPUTS: ipc address "ipc:\/\/relative.sock" is a relative path/],
    ['a relative ipc endpoint', { ZEEK_ZMQ_ENDPOINTS: 'ipc://run/out.sock?mode=bind' }, /^ZEEK_ZMQ_ENDPOINTS: endpoint 1 .*is a relative path/],
    ['an ipc path longer than the OS takes', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_INPUTS: `ipc:///${'d'.repeat(107)}` }, /^ZEEK_ZMQ_INPUTS: .*socket path of 108 bytes; the longest the OS takes is 107/],
    ['an ipc endpoint path longer than the OS takes', { ZEEK_ZMQ_ENDPOINTS: `ipc:///${'d'.repeat(200)}.sock` }, /^ZEEK_ZMQ_ENDPOINTS: endpoint 1 .*socket path of 206 bytes/],
    ['a tcp host that is no host name', { ZEEK_ZMQ_ENDPOINTS: 'tcp://ho$t!:5999' }, /^ZEEK_ZMQ_ENDPOINTS: endpoint 1 .*host "ho\$t!" is not a host name, IPv4 address, \[IPv6\] address or \*/],
    ['a tcp input host that is no host name', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_INPUTS: 'tcp://-bad-.example:5555' }, /^ZEEK_ZMQ_INPUTS: .*host "-bad-.example"/],
    ['an IPv4 address out of range', { ZEEK_ZMQ_ENDPOINTS: 'tcp://10.0.0.256:5556' }, /^ZEEK_ZMQ_ENDPOINTS: .*host "10.0.0.256"/],
    ['a bracketed host that is not IPv6', { ZEEK_ZMQ_ENDPOINTS: 'tcp://[::g]:5556' }, /^ZEEK_ZMQ_ENDPOINTS: .*host "\[::g\]"/],
    ['a host label too long', { ZEEK_ZMQ_ENDPOINTS: `tcp://${'h'.repeat(64)}.example:5556` }, /^ZEEK_ZMQ_ENDPOINTS: .*is not a host name/],
    ['the wildcard host to connect to', { ZEEK_ZMQ_ENDPOINTS: 'tcp://*:5556' }, /^ZEEK_ZMQ_ENDPOINTS: .*host "\*" only binds/],
    ['a misspelt variable', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_ENDPIONTS: 'tcp://b:1' }, /^ZEEK_ZMQ_ENDPIONTS: not a setting of the shipper; did you mean ZEEK_ZMQ_ENDPOINTS\?/],
    ['a misspelt variable, far from any', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_LOGLEVEL: 'debug' }, /^ZEEK_ZMQ_LOGLEVEL: not a setting of the shipper; did you mean ZEEK_ZMQ_LOG_LEVEL\?/],
  ]
  testProblems(cases)

  test('clashes compare resolved ipc paths: ".", "..", a symlinked directory', (t) => {
    const dir = ipcDir(t)
    mkdirSync(join(dir, 'real'))
    symlinkSync(join(dir, 'real'), join(dir, 'link'))
    const aliases: Array<[string, string]> = [
      [`ipc://${dir}/in.sock`, `ipc://${dir}/./in.sock`],
      [`ipc://${dir}/in.sock`, `ipc://${dir}/real/../in.sock`],
      [`ipc://${dir}/real/in.sock`, `ipc://${dir}/link/in.sock`],
      [`ipc://${dir}/real/new/in.sock`, `ipc://${dir}/link/new/./in.sock`],
      [`ipc://${dir}/in.sock`, `ipc://${dir}/link/../in.sock`],
    ]
    for (const [input, endpoint] of aliases) {
      const problems = problemsOf({ ZEEK_ZMQ_INPUTS: input, ZEEK_ZMQ_ENDPOINTS: `${endpoint}?mode=bind&name=b` })
      assert.ok(problems.some((p) => p.startsWith(`ZEEK_ZMQ_ENDPOINTS: ${endpoint} is bound by both the input and endpoint "b"`) && p.includes(input)), `${input} vs ${endpoint}:\n${problems.join('\n')}`)
      const twoEndpoints = problemsOf({ ZEEK_ZMQ_ENDPOINTS: `${input}?mode=bind&name=a ${endpoint}?mode=bind&name=b` })
      assert.ok(twoEndpoints.some((p) => p.includes('is bound by both endpoint "a" and endpoint "b"')), twoEndpoints.join('\n'))
    }
    // A connect-mode endpoint at the input's path is the shipper talking to itself, but binds nothing.
    loadConfig({ ZEEK_ZMQ_INPUTS: `ipc://${dir}/in.sock`, ZEEK_ZMQ_ENDPOINTS: `ipc://${dir}/real/in.sock?mode=bind` })
  })

  test('ZEEK_ZMQ_* variables of the Zeek container (ZEEK_ZMQ_WRITER_*) are left to it', () => {
    loadConfig({ ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_WRITER_HWM: '100000', ZEEK_ZMQ_WRITER_ENDPOINT: 'ipc:///run/zeek-zmq/zeek.sock' })
  })

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

    const notText = join(dir, 'not-text.json')
    writeFileSync(notText, JSON.stringify({ inputs: [1, 'ipc:///run/x.sock'], endpoints: 'tcp://a:1' }))
    assert.match(problemsOf({ ZEEK_ZMQ_CONFIG: notText })[0]!, /^ZEEK_ZMQ_INPUTS \(or "inputs" in .*\): 1 is not a string/)
  })
})
