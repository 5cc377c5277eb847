// Spool settings: spool=DIR&spool_max=SIZE&spool_sync=POLICY on an endpoint, the same keys
// in a config file's endpoint objects, and ZEEK_ZMQ_SPOOL_DIR (and _MAX, _SYNC) as the
// defaults; every mistake named with the variable that holds it.

import assert from 'node:assert/strict'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { loadConfig, type Env } from '../../src/config/load-config.ts'
import { problemsOf, testProblems } from '../helpers/config-problems.ts'
import { ipcDir } from '../helpers/sockets.ts'

const spools = (env: Env) => loadConfig(env).endpoints.map((e) => [e.name, e.spool])

describe('valid spool settings', () => {
  test('no spool unless one is asked for', () => {
    assert.deepEqual(spools({ ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?name=a' }), [['a', undefined]])
  })

  test('spool=DIR with spool_max in bytes, KiB, MiB or GiB, and each sync policy', () => {
    assert.deepEqual(spools({
      ZEEK_ZMQ_ENDPOINTS: [
        'tcp://a:1?name=a&spool=/var/spool/a',
        'tcp://b:1?name=b&spool=/var/spool/b&spool_max=2097152&spool_sync=always',
        'tcp://c:1?name=c&spool=/s/c&spool_max=2048KiB&spool_sync=none',
        'tcp://d:1?name=d&spool=/s/d&spool_max=3MiB&spool_sync=interval',
        'tcp://e:1?name=e&spool=/s/e&spool_max=20GiB',
      ].join(' '),
    }), [
      ['a', { dir: '/var/spool/a', maxBytes: 1024 ** 3, sync: 'interval' }],
      ['b', { dir: '/var/spool/b', maxBytes: 2097152, sync: 'always' }],
      ['c', { dir: '/s/c', maxBytes: 2 * 1024 ** 2, sync: 'none' }],
      ['d', { dir: '/s/d', maxBytes: 3 * 1024 ** 2, sync: 'interval' }],
      ['e', { dir: '/s/e', maxBytes: 20 * 1024 ** 3, sync: 'interval' }],
    ])
  })

  test('ZEEK_ZMQ_SPOOL_DIR gives every endpoint a directory named after it; spool= turns it off for one', () => {
    assert.deepEqual(spools({
      ZEEK_ZMQ_SPOOL_DIR: '/var/spool/zeek-zmq',
      ZEEK_ZMQ_SPOOL_MAX: '64MiB',
      ZEEK_ZMQ_SPOOL_SYNC: 'none',
      ZEEK_ZMQ_ENDPOINTS: 'tcp://siem:5556?name=siem tcp://b:1 tcp://c:1?name=..&spool_max=2MiB tcp://d:1?name=d&spool= tcp://e:1?name=e&spool=/elsewhere&spool_sync=always',
    }), [
      ['siem', { dir: '/var/spool/zeek-zmq/siem', maxBytes: 64 * 1024 ** 2, sync: 'none' }],
      ['tcp://b:1', { dir: '/var/spool/zeek-zmq/tcp%3A%2F%2Fb%3A1', maxBytes: 64 * 1024 ** 2, sync: 'none' }],
      ['..', { dir: '/var/spool/zeek-zmq/%2E.', maxBytes: 2 * 1024 ** 2, sync: 'none' }],
      ['d', undefined],
      ['e', { dir: '/elsewhere', maxBytes: 64 * 1024 ** 2, sync: 'always' }],
    ])
  })

  test('a config file: the keys in endpoint objects, sizes as numbers or text', (t) => {
    const file = join(ipcDir(t), 'shipper.json')
    writeFileSync(file, JSON.stringify({
      spoolMax: 8388608,
      endpoints: [
        { address: 'tcp://a:1', name: 'a', spool: '/s/a', spool_max: '16MiB', spool_sync: 'always' },
        { address: 'tcp://b:1', name: 'b', spool: '/s/b', spool_max: 2097152 },
        { address: 'tcp://c:1', name: 'c', spool: '/s/c' },
      ],
    }))
    assert.deepEqual(spools({ ZEEK_ZMQ_CONFIG: file }), [
      ['a', { dir: '/s/a', maxBytes: 16 * 1024 ** 2, sync: 'always' }],
      ['b', { dir: '/s/b', maxBytes: 2097152, sync: 'interval' }],
      ['c', { dir: '/s/c', maxBytes: 8388608, sync: 'interval' }],
    ])
  })
})

describe('invalid spool settings', () => {
  const cases: Array<[string, Env, RegExp]> = [
    ['a relative spool directory', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?spool=spool/a' }, /^ZEEK_ZMQ_ENDPOINTS: endpoint 1 .*spool "spool\/a" is not an absolute path/],
    ['a relative ZEEK_ZMQ_SPOOL_DIR', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_SPOOL_DIR: 'var/spool' }, /^ZEEK_ZMQ_SPOOL_DIR: must be an absolute path/],
    ['a size with a unit it does not know', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?spool=/s&spool_max=2GB' }, /^ZEEK_ZMQ_ENDPOINTS: endpoint 1 .*spool_max "2GB" is not a size in bytes/],
    ['a fractional size', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?spool=/s&spool_max=1.5GiB' }, /^ZEEK_ZMQ_ENDPOINTS: .*spool_max "1.5GiB" is not a size/],
    ['a negative size', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?spool=/s&spool_max=-1' }, /^ZEEK_ZMQ_ENDPOINTS: .*spool_max "-1" is not a size/],
    ['a spool smaller than 1MiB', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?spool=/s&spool_max=1023KiB' }, /^ZEEK_ZMQ_ENDPOINTS: .*spool_max "1023KiB" is less than the smallest spool, 1MiB/],
    ['a size past what a number holds exactly', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?spool=/s&spool_max=99999999999GiB' }, /^ZEEK_ZMQ_ENDPOINTS: .*spool_max "99999999999GiB" is not a size/],
    ['a bad ZEEK_ZMQ_SPOOL_MAX', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_SPOOL_MAX: '1TB' }, /^ZEEK_ZMQ_SPOOL_MAX: must be a size of at least 1MiB: "1TB" is not a size/],
    ['a tiny ZEEK_ZMQ_SPOOL_MAX', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_SPOOL_MAX: '4096' }, /^ZEEK_ZMQ_SPOOL_MAX: must be a size of at least 1MiB: "4096" is less than/],
    ['an unknown sync policy', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?spool=/s&spool_sync=sometimes' }, /^ZEEK_ZMQ_ENDPOINTS: .*spool_sync "sometimes" is not one of none, interval, always/],
    ['an unknown ZEEK_ZMQ_SPOOL_SYNC', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1', ZEEK_ZMQ_SPOOL_SYNC: 'fsync' }, /^ZEEK_ZMQ_SPOOL_SYNC: must be one of the possible values/],
    ['spool_max without a spool', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?spool_max=2MiB&spool_sync=always' }, /^ZEEK_ZMQ_ENDPOINTS: .*spool_max and spool_sync without a spool: give spool=DIR or set ZEEK_ZMQ_SPOOL_DIR/],
    ['two endpoints with one spool directory', { ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?name=a&spool=/s/x tcp://b:1?name=b&spool=/s/y/../x' }, /^ZEEK_ZMQ_ENDPOINTS: endpoints "a" and "b" both spool to \/s\/x; each endpoint needs a spool directory of its own/],
    ['an explicit spool where ZEEK_ZMQ_SPOOL_DIR puts another endpoint', { ZEEK_ZMQ_SPOOL_DIR: '/s', ZEEK_ZMQ_ENDPOINTS: 'tcp://a:1?name=siem tcp://b:1?name=b&spool=/s/siem' }, /^ZEEK_ZMQ_ENDPOINTS: endpoints "siem" and "b" both spool to \/s\/siem/],
    ['an endpoint name too long for a directory', { ZEEK_ZMQ_SPOOL_DIR: '/s', ZEEK_ZMQ_ENDPOINTS: `tcp://a:1?name=${'%2F'.repeat(90)}` }, /^ZEEK_ZMQ_ENDPOINTS: endpoint 1 .*longer than 255 bytes; give a shorter name or spool=DIR/],
  ]
  testProblems(cases)

  test('spool directories are compared as the file system resolves them (a symlinked parent)', (t) => {
    const dir = ipcDir(t)
    mkdirSync(join(dir, 'real'))
    symlinkSync(join(dir, 'real'), join(dir, 'link'))
    const problems = problemsOf({ ZEEK_ZMQ_ENDPOINTS: `tcp://a:1?name=a&spool=${dir}/real/a tcp://b:1?name=b&spool=${dir}/link/a` })
    assert.ok(problems.some((p) => p.includes('endpoints "a" and "b" both spool to')), problems.join('\n'))
  })

  test('a config file names the file key', (t) => {
    const file = join(ipcDir(t), 'shipper.json')
    writeFileSync(file, JSON.stringify({ spoolSync: 'never', spoolMax: 10, endpoints: 'tcp://a:1' }))
    const problems = problemsOf({ ZEEK_ZMQ_CONFIG: file })
    assert.ok(problems.some((p) => p.startsWith(`ZEEK_ZMQ_SPOOL_SYNC (or "spoolSync" in ${file}): must be one of`)), problems.join('\n'))
    assert.ok(problems.some((p) => p.startsWith(`ZEEK_ZMQ_SPOOL_MAX (or "spoolMax" in ${file}): must be a size`)), problems.join('\n'))
  })
})
