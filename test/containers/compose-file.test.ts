// docker-compose.yml against the things it must agree with: the shipper's schema (the
// defaults it passes are the schema's), the Zeek container's own defaults, .env.example
// (every variable listed, with the same default), the Helm chart as the single source of
// the dashboard and the alert rules, and `docker-compose config` where it is installed.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'
import { parseEndpoints } from '../../src/config/endpoint-spec.ts'
import { schema } from '../../src/config/schema.ts'
import { ROOT } from '../cli/cli-process.ts'

interface Service {
  environment?: Record<string, string>
  volumes?: string[]
  command?: string[]
}
interface ComposeFile {
  services: Record<string, Service>
}

const COMPOSE_FILES = ['docker-compose.yml', 'zeek/compose/live-capture.yml', 'zeek/compose/curve.yml']
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as ComposeFile

/** Every ${NAME:-default} (or ${NAME-default}, ${NAME:?message}) in a compose file. */
function interpolations(file: string): Map<string, string | undefined> {
  const found = new Map<string, string | undefined>()
  for (const match of readFileSync(join(ROOT, file), 'utf8').matchAll(/\$\{([A-Z0-9_]+)(?:(:?-)([^}]*)|:\?[^}]*)?\}/g)) {
    found.set(match[1]!, match[2] === undefined ? undefined : match[3])
  }
  return found
}

/** The value inside ${NAME:-value} (or ${NAME-value}), or the literal. */
function composeDefault(value: string): string {
  const match = /^\$\{[A-Z0-9_]+:?-(.*)\}$/.exec(value)
  return match === null ? value : match[1]!
}

function envExample(): Map<string, string> {
  const entries = new Map<string, string>()
  for (const line of readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line)
    if (match !== null) entries.set(match[1]!, match[2]!)
  }
  return entries
}

test("the shipper's settings in compose default to the schema's defaults", () => {
  const environment = compose.services.shipper!.environment!
  const bySchemaEnv = new Map(Object.values(schema).map((item) => [item.env, item.default as unknown]))
  for (const [name, value] of Object.entries(environment)) {
    assert.ok(bySchemaEnv.has(name), `${name} is not a setting of the shipper`)
    const schemaDefault = bySchemaEnv.get(name)
    if (name === 'ZEEK_ZMQ_ENDPOINTS') continue // the schema has none; compose adds the demo endpoint
    const expected = Array.isArray(schemaDefault) ? schemaDefault.join(',') : String(schemaDefault)
    assert.equal(composeDefault(value), expected, name)
  }
})

test("the Zeek container's settings in compose default to the container's own defaults", () => {
  const environment = compose.services.zeek!.environment!
  const render = (env: Record<string, string>) =>
    spawnSync('bash', [join(ROOT, 'zeek', 'render-settings.sh')], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' })
  const withComposeDefaults = render(Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, composeDefault(value)])))
  const withNothing = render({})
  assert.equal(withComposeDefaults.status, 0, withComposeDefaults.stderr)
  assert.equal(withComposeDefaults.stdout, withNothing.stdout)
})

test('.env.example lists every variable the compose files read, with the same default', () => {
  const example = envExample()
  for (const file of COMPOSE_FILES) {
    for (const [name, fallback] of interpolations(file)) {
      assert.ok(example.has(name), `${name} (${file}) is missing from .env.example`)
      if (fallback !== undefined && file === 'docker-compose.yml') assert.equal(example.get(name), fallback, `${name}'s default`)
    }
  }
  const used = new Set(COMPOSE_FILES.flatMap((file) => [...interpolations(file).keys()]))
  for (const name of example.keys()) assert.ok(used.has(name), `.env.example sets ${name}, which no compose file reads`)
})

test('the dashboard and the alert rules are mounted from the Helm chart, not copied', () => {
  const mounts = Object.values(compose.services).flatMap((service) => service.volumes ?? [])
  assert.ok(mounts.includes('./helm/zeek-zmq-shipper/dashboards:/var/lib/grafana/dashboards:ro'), mounts.join('\n'))
  assert.ok(mounts.includes('./helm/zeek-zmq-shipper/rules/alerts.yml:/etc/prometheus/rules/zeek-zmq-shipper.yml:ro'), mounts.join('\n'))
  const composeDir = join(ROOT, 'zeek', 'compose')
  const own = readdirSync(composeDir, { recursive: true, encoding: 'utf8' })
  assert.deepEqual(own.filter((file) => file.endsWith('.json') || file.includes('alerts')), [])
  for (const mount of mounts) {
    const source = mount.split(':')[0]!
    if (source.startsWith('./')) assert.ok(existsSync(join(ROOT, source)), `${source} is mounted but does not exist`)
  }
})

test('the demo subscriber runs `tail` from the shipper image against the bind-mode demo endpoint', () => {
  const { shipper, tail } = compose.services
  assert.deepEqual(tail!.command!.slice(0, 2), ['tail', '${TAIL_ADDRESS:-tcp://shipper:5556}'])
  assert.match(composeDefault(shipper!.environment!.ZEEK_ZMQ_ENDPOINTS!), /^tcp:\/\/0\.0\.0\.0:5556\?name=demo&mode=bind$/)
})

const dockerCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0
test('docker-compose config accepts the files, and .env.example changes nothing', { skip: dockerCompose ? false : 'docker-compose is not installed here' }, () => {
  const config = (...args: string[]) => spawnSync('docker-compose', [...args, 'config'], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } })
  const plain = config()
  assert.equal(plain.status, 0, plain.stderr)
  const withExample = config('--env-file', '.env.example')
  assert.equal(withExample.status, 0, withExample.stderr)
  assert.equal(withExample.stdout, plain.stdout)
  const live = spawnSync('docker-compose', ['-f', 'docker-compose.yml', '-f', 'zeek/compose/live-capture.yml', 'config'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ZEEK_INTERFACE: 'eth0' },
  })
  assert.equal(live.status, 0, live.stderr)
  assert.match(live.stdout, /network_mode: host/)
  const curve = spawnSync('docker-compose', ['-f', 'docker-compose.yml', '-f', 'zeek/compose/curve.yml', 'config'], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } })
  assert.equal(curve.status, 0, curve.stderr)
  assert.match(curve.stdout, /curve=server&clients=\/keys\/clients/)
})

test('the CURVE override: keys made once by keygen, the demo endpoint a CURVE server, tail its admitted client', () => {
  const curve = parse(readFileSync(join(ROOT, 'zeek', 'compose', 'curve.yml'), 'utf8')) as ComposeFile & { services: Record<string, Service & { depends_on?: Record<string, { condition: string }> }> }
  const { keygen, shipper, tail } = curve.services
  const script = (keygen!.command as unknown as string[])[0]!
  assert.match(script, /\[ -e shipper\.key_secret \] \|\| keygen shipper/)
  assert.match(script, /cp tail\.key clients\/tail\.key/)
  assert.deepEqual(shipper!.depends_on, { keygen: { condition: 'service_completed_successfully' } })
  const { endpoints, problems } = parseEndpoints(shipper!.environment!.ZEEK_ZMQ_ENDPOINTS, { hwm: 1000, hwmBytes: 67108864, lingerMs: 0, include: [], exclude: [], peerTimeoutMs: 0, maxRecordBytes: 1048576, maxTopicBytes: 256, maxSubscriptions: 1024, spoolDir: '', spoolMaxBytes: 1073741824, spoolSync: 'interval' })
  assert.deepEqual(problems, [])
  assert.deepEqual([endpoints[0]!.name, endpoints[0]!.access?.curve, endpoints[0]!.access?.clients], ['demo', 'server', '/keys/clients'])
  assert.equal(shipper!.environment!.ZEEK_ZMQ_CURVE_CERT, '/keys/shipper.key_secret')
  // The same demo endpoint as docker-compose.yml's, so that tail's address and the published port still fit.
  assert.equal(endpoints[0]!.address, 'tcp://0.0.0.0:5556')
  assert.deepEqual(tail!.command!.slice(0, 2), compose.services.tail!.command!.slice(0, 2))
  assert.deepEqual(tail!.command!.slice(-4), ['--curve-server-key', '/keys/shipper.key', '--curve-cert', '/keys/tail.key_secret'])
})
