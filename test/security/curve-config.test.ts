// CURVE and allow settings that cannot work stop the shipper with exit 78 before it binds
// anything, naming the variable; no message holds a key.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { loadConfig, type Env } from '../../src/config/load-config.ts'
import { problemsOf } from '../helpers/config-problems.ts'
import { ROOT, spawnShipper } from '../cli/cli-process.ts'
import { ipcDir } from '../helpers/sockets.ts'
import { spawnKeygen } from '../cli/keygen-process.ts'
import type { CertificatePair } from '../helpers/pyzmq.ts'

const NOBODY = 65534

interface Keys {
  readonly dir: string
  readonly shipper: CertificatePair
  readonly clients: string
  readonly client: CertificatePair
}

async function keys(t: Parameters<typeof spawnKeygen>[0]): Promise<Keys> {
  const dir = ipcDir(t)
  const clients = join(dir, 'clients')
  mkdirSync(clients)
  return { dir, clients, shipper: await spawnKeygen(t, 'shipper', dir), client: await spawnKeygen(t, 'siem', clients) }
}

describe('CURVE configuration', () => {
  test('valid: a CURVE server endpoint, a CURVE client endpoint, a CURVE input with an allow list, in spec strings and file objects', async (t) => {
    const k = await keys(t)
    const config = loadConfig({
      ZEEK_ZMQ_CURVE_CERT: k.shipper.secretPath,
      ZEEK_ZMQ_INPUTS: `tcp://0.0.0.0:5555?curve=server&clients=${k.clients}&allow=10.0.0.0/8,192.0.2.7,fd00::/8, ipc:///run/zeek-zmq/zeek.sock`,
      ZEEK_ZMQ_ENDPOINTS: `tcp://*:5556?mode=bind&curve=server&clients=*&name=any tcp://relay:5555?curve=client&server_key=${k.client.publicPath}&name=up tcp://*:5557?mode=bind&allow=127.0.0.1&name=local`,
    })
    assert.deepEqual(config.inputs, ['tcp://0.0.0.0:5555', 'ipc:///run/zeek-zmq/zeek.sock'])
    assert.deepEqual([...config.inputAccess[0]!.clientKeys!], [k.client.publicKey])
    assert.deepEqual(config.inputAccess[0]!.allow?.cidrs, ['10.0.0.0/8', '192.0.2.7', 'fd00::/8'])
    assert.equal(config.inputAccess[1]!.curve, undefined)
    assert.deepEqual(config.endpoints.map((e) => [e.name, e.access?.curve, e.access?.clients, e.access?.serverKey, e.access?.allow?.cidrs]), [
      ['any', 'server', '*', undefined, undefined],
      ['up', 'client', undefined, k.client.publicKey, undefined],
      ['local', undefined, undefined, undefined, ['127.0.0.1']],
    ])

    const file = join(k.dir, 'config.json')
    writeFileSync(file, JSON.stringify({
      curveCert: k.shipper.secretPath,
      inputs: [{ address: 'tcp://0.0.0.0:5555', curve: 'server', clients: k.clients, allow: ['10.0.0.0/8', '192.0.2.0/24'] }],
      endpoints: [{ address: 'tcp://*:5556', mode: 'bind', curve: 'server', clients: '*', allow: ['127.0.0.1/32'] }],
    }))
    const fromFile = loadConfig({ ZEEK_ZMQ_CONFIG: file })
    assert.deepEqual(fromFile.inputAccess[0]!.allow?.cidrs, ['10.0.0.0/8', '192.0.2.0/24'])
    assert.equal(fromFile.endpoints[0]!.access?.clients, '*')
  })

  test('every invalid combination is named with its variable', async (t) => {
    const k = await keys(t)
    const cert = { ZEEK_ZMQ_CURVE_CERT: k.shipper.secretPath }
    const cases: Array<[string, Env, RegExp]> = [
      ['curve=server in connect mode', { ...cert, ZEEK_ZMQ_ENDPOINTS: `tcp://a:1?curve=server&clients=${k.clients}` }, /^ZEEK_ZMQ_ENDPOINTS: endpoint 1 .*curve=server needs mode=bind/],
      ['curve=client in bind mode', { ...cert, ZEEK_ZMQ_ENDPOINTS: `tcp://*:1?mode=bind&curve=client&server_key=${k.client.publicPath}` }, /^ZEEK_ZMQ_ENDPOINTS: .*curve=client needs mode=connect/],
      ['clients without curve=server', { ...cert, ZEEK_ZMQ_ENDPOINTS: `tcp://*:1?mode=bind&clients=${k.clients}` }, /^ZEEK_ZMQ_ENDPOINTS: .*clients is only for curve=server/],
      ['curve=server without clients', { ...cert, ZEEK_ZMQ_ENDPOINTS: 'tcp://*:1?mode=bind&curve=server' }, /^ZEEK_ZMQ_ENDPOINTS: .*curve=server needs clients=DIR .* or clients=\*/],
      ['curve on an ipc endpoint', { ...cert, ZEEK_ZMQ_ENDPOINTS: 'ipc:///run/x.sock?mode=bind&curve=server&clients=*' }, /^ZEEK_ZMQ_ENDPOINTS: .*curve on an ipc address/],
      ['allow on an ipc endpoint', { ZEEK_ZMQ_ENDPOINTS: 'ipc:///run/x.sock?mode=bind&allow=127.0.0.1' }, /^ZEEK_ZMQ_ENDPOINTS: .*allow on an ipc address/],
      ['allow in connect mode', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?allow=127.0.0.1' }, /^ZEEK_ZMQ_ENDPOINTS: .*allow is only for a bound socket/],
      ['a CIDR that is none', { ZEEK_ZMQ_ENDPOINTS: 'tcp://*:1?mode=bind&allow=10.0.0.0/33,example.org' }, /^ZEEK_ZMQ_ENDPOINTS: .*"10.0.0.0\/33" has a prefix longer than 32 bits/],
      ['curve=client without server_key', { ...cert, ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?curve=client' }, /^ZEEK_ZMQ_ENDPOINTS: .*curve=client needs server_key=PATH/],
      ['server_key without curve=client', { ...cert, ZEEK_ZMQ_ENDPOINTS: `tcp://a:1?server_key=${k.client.publicPath}` }, /^ZEEK_ZMQ_ENDPOINTS: .*server_key is only for curve=client/],
      ['curve=nope', { ...cert, ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?curve=nope' }, /^ZEEK_ZMQ_ENDPOINTS: .*curve "nope" is neither/],
      ['curve=client on an input', { ...cert, ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_INPUTS: `tcp://*:5555?curve=client&server_key=${k.client.publicPath}` }, /^ZEEK_ZMQ_INPUTS: input 1 .*curve=client needs mode=connect/],
      ['curve on an ipc input', { ...cert, ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_INPUTS: 'ipc:///run/z.sock?curve=server&clients=*' }, /^ZEEK_ZMQ_INPUTS: .*curve on an ipc address/],
      ['an unknown input parameter', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_INPUTS: 'tcp://*:5555?hwm=5' }, /^ZEEK_ZMQ_INPUTS: input 1 .*unknown query parameter "hwm"/],
      ['CURVE without ZEEK_ZMQ_CURVE_CERT', { ZEEK_ZMQ_ENDPOINTS: 'tcp://*:1?mode=bind&curve=server&clients=*' }, /^ZEEK_ZMQ_CURVE_CERT: not set, but 1 endpoint\(s\) or input\(s\) use curve/],
      ['a clients directory that is missing', { ...cert, ZEEK_ZMQ_ENDPOINTS: `tcp://*:1?mode=bind&curve=server&clients=${k.dir}/nowhere&name=e` }, /^ZEEK_ZMQ_ENDPOINTS: endpoint "e": cannot read the clients directory .*nowhere: ENOENT/],
      ['a clients directory without certificates', { ...cert, ZEEK_ZMQ_ENDPOINTS: `tcp://*:1?mode=bind&curve=server&clients=${ipcDir(t)}&name=e` }, /^ZEEK_ZMQ_ENDPOINTS: endpoint "e": the clients directory .* holds no \*.key certificate/],
      ['a server_key that is missing', { ...cert, ZEEK_ZMQ_ENDPOINTS: `tcp://a:1?curve=client&server_key=${k.dir}/none.key&name=e` }, /^ZEEK_ZMQ_ENDPOINTS: endpoint "e": cannot read .*none.key: ENOENT/],
    ]
    for (const [what, env, pattern] of cases) {
      const problems = problemsOf(env)
      assert.ok(problems.some((p) => pattern.test(p)), `${what}:\n${problems.join('\n')}`)
      for (const problem of problems) assert.ok(!problem.includes(k.shipper.secretKey) && !problem.includes(k.client.secretKey), `${what}: a key in "${problem}"`)
    }
  })

  test('the secret certificate: readable by others, missing, malformed, not ZPL, or a pair that does not belong together', async (t) => {
    const k = await keys(t)
    const at = (name: string, text: string, mode = 0o600): string => {
      const path = join(k.dir, name)
      writeFileSync(path, text, { mode })
      chmodSync(path, mode)
      return path
    }
    const secretText = readFileSync(k.shipper.secretPath, 'utf8')
    const otherText = readFileSync(k.client.secretPath, 'utf8')
    // A function, not a string: Z85 keys may hold "$", which a replacement string would read as a pattern.
    const otherPublic = /public-key = ".*"/.exec(otherText)![0]
    const mixed = secretText.replace(/public-key = ".*"/, () => otherPublic)
    const cases: Array<[string, string, RegExp]> = [
      ['world-readable', at('open.key_secret', secretText, 0o644), /open.key_secret holds a secret key and may be read or changed by others \(mode 0644\); chmod 600/],
      ['group-readable', at('group.key_secret', secretText, 0o640), /mode 0640/],
      ['missing', join(k.dir, 'missing.key_secret'), /cannot read .*missing.key_secret: ENOENT/],
      ['a directory', k.clients, /is not a file/],
      ['a public certificate', at('public-only.key_secret', readFileSync(k.shipper.publicPath, 'utf8')), /no secret-key in a "curve" section/],
      ['not ZPL', at('garbage.key_secret', 'curve\n  public-key = x\n'), /line 2 is indented by 2 spaces/],
      ['a short key', at('short.key_secret', 'curve\n    public-key = "abc"\n    secret-key = "def"\n'), /the public-key is not a 40-character Z85 key/],
      ['a mixed pair', at('mixed.key_secret', mixed), /the public-key does not belong to the secret-key/],
    ]
    for (const [what, path, pattern] of cases) {
      const problems = problemsOf({ ZEEK_ZMQ_CURVE_CERT: path, ZEEK_ZMQ_ENDPOINTS: 'tcp://*:1?mode=bind&curve=server&clients=*' })
      assert.equal(problems.length, 1, `${what}:\n${problems.join('\n')}`)
      assert.match(problems[0]!, /^ZEEK_ZMQ_CURVE_CERT: /, what)
      assert.match(problems[0]!, pattern, what)
      assert.ok(!problems[0]!.includes(k.shipper.secretKey) && !problems[0]!.includes(k.client.secretKey) && !problems[0]!.includes(k.client.publicKey), `${what}: a key in the message`)
    }
  })

  test('the shipper process: exit 78 before binding anything, naming the variable, with no key on its output', async (t) => {
    const k = await keys(t)
    const open = join(k.dir, 'open.key_secret')
    writeFileSync(open, readFileSync(k.shipper.secretPath))
    chmodSync(open, 0o644)
    const malformed = join(k.dir, 'malformed.key_secret')
    writeFileSync(malformed, readFileSync(k.shipper.secretPath, 'utf8').replace('secret-key', 'secret_key'), { mode: 0o600 })
    const cases: Array<[Record<string, string>, string]> = [
      [{ ZEEK_ZMQ_CURVE_CERT: open }, 'ZEEK_ZMQ_CURVE_CERT'],
      [{ ZEEK_ZMQ_CURVE_CERT: join(k.dir, 'missing.key_secret') }, 'ZEEK_ZMQ_CURVE_CERT'],
      [{ ZEEK_ZMQ_CURVE_CERT: malformed }, 'ZEEK_ZMQ_CURVE_CERT'],
      [{}, 'ZEEK_ZMQ_CURVE_CERT'],
      [{ ZEEK_ZMQ_CURVE_CERT: k.shipper.secretPath, ZEEK_ZMQ_ENDPOINTS: `tcp://127.0.0.1:1?curve=server&clients=${k.clients}` }, 'ZEEK_ZMQ_ENDPOINTS'],
      [{ ZEEK_ZMQ_CURVE_CERT: k.shipper.secretPath, ZEEK_ZMQ_INPUTS: 'PLACEHOLDER?curve=server' }, 'ZEEK_ZMQ_INPUTS'],
    ]
    for (const [i, [env, variable]] of cases.entries()) {
      const input = join(k.dir, `in-${i}.sock`)
      const out = join(k.dir, `out-${i}.sock`)
      const shipper = spawnShipper(t, {
        ZEEK_ZMQ_INPUTS: `ipc://${input}`,
        ZEEK_ZMQ_ENDPOINTS: `ipc://${out}?mode=bind tcp://127.0.0.1:*?mode=bind&curve=server&clients=${k.clients}`,
        ...env,
        ...(env.ZEEK_ZMQ_INPUTS === undefined ? {} : { ZEEK_ZMQ_INPUTS: `ipc://${input} ${env.ZEEK_ZMQ_INPUTS.replace('PLACEHOLDER', 'tcp://127.0.0.1:*')}` }),
      })
      const { code } = await shipper.exited
      assert.equal(code, 78, `${JSON.stringify(env)}: ${shipper.stderr()}`)
      assert.match(shipper.stderr(), new RegExp(`^  ${variable}: `, 'm'))
      assert.ok(!existsSync(input) && !existsSync(out), 'nothing was bound')
      assert.doesNotMatch(shipper.stdout(), /Server listening/)
      for (const key of [k.shipper.secretKey, k.client.secretKey, k.shipper.publicKey]) assert.ok(!(shipper.stdout() + shipper.stderr()).includes(key))
    }
  })
})

test('a secret certificate owned by root may be readable by its group (a Kubernetes Secret with fsGroup), for a shipper that is not root', { skip: process.getuid?.() === 0 ? false : 'needs root to make files of root and run as nobody' }, async (t) => {
  const k = await keys(t)
  chmodSync(k.dir, 0o755)
  const text = readFileSync(k.shipper.secretPath)
  const file = (name: string, mode: number, uid: number, gid: number): string => {
    const path = join(k.dir, name)
    writeFileSync(path, text)
    chmodSync(path, mode)
    chownSync(path, uid, gid)
    return path
  }
  const cases: Array<[string, string]> = [
    [file('fsgroup.key_secret', 0o440, 0, NOBODY), 'ok'],
    [file('root-group-write.key_secret', 0o460, 0, NOBODY), 'may be read or changed by others (mode 0460)'],
    [file('root-others.key_secret', 0o444, 0, NOBODY), 'may be read or changed by others (mode 0444)'],
    [file('someone-else.key_secret', 0o400, 1, NOBODY), 'is owned by uid 1'],
  ]
  // Reads each certificate as nobody, as a shipper run by an unprivileged user would.
  const script = `process.setgid(${NOBODY}); process.setuid(${NOBODY})
const { readSecretCertificate } = await import(${JSON.stringify(join(ROOT, 'src/security/certificate.ts'))})
for (const path of process.argv.slice(1)) {
  try { readSecretCertificate(path); console.log('ok') } catch (err) { console.log(err.message) }
}`
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script, ...cases.map(([path]) => path)], { encoding: 'utf8' })
  assert.equal(result.status, 0, result.stderr)
  const lines = result.stdout.trim().split('\n')
  cases.forEach(([path, expected], i) => assert.ok(lines[i]!.includes(expected), `${path}: ${lines[i]}`))
})
