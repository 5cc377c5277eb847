// The shipper settings that values.yaml and each ci/ scenario produce must be accepted by
// the shipper's real configuration loader, from a JSON file as the chart mounts it and the
// addresses in the environment as Kubernetes expands them.

import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { loadConfig, type ShipperConfig } from '../../src/config/load-config.ts'
import { schema } from '../../src/config/schema.ts'
import { parseByteSize } from '../../src/config/spool-spec.ts'
import { spawnKeygen } from '../cli/keygen-process.ts'
import { CURVE_DIR, defaultValues, DOWNWARD, expandVariables, mergeValues, scenarios, shipperSettings, SPOOL_DIR, type ShipperSettings, type ShipperValues, type Values } from './chart.ts'
import { MISTAKES } from './mistakes.ts'

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'zzs-chart-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * What the chart's CURVE Secrets hold, written by keygen into `dir` as the chart mounts them
 * under CURVE_DIR: cert/curve.key_secret, clients/NAME.key, servers/SECRET/server.key.
 */
async function fillCurveSecrets(t: TestContext, values: Values, dir: string): Promise<void> {
  const v = values as unknown as ShipperValues
  const keygen = async (name: string, subdir: string, keepSecret: boolean): Promise<void> => {
    mkdirSync(join(dir, subdir), { recursive: true })
    const pair = await spawnKeygen(t, name, join(dir, subdir))
    if (!keepSecret) unlinkSync(pair.secretPath)
  }
  if (v.curve.certSecret !== '') await keygen('curve', 'cert', true)
  if (v.curve.clientsSecret !== '') await keygen('sensor-1', 'clients', false)
  for (const secret of new Set(v.endpoints.flatMap((e) => e.serverKeySecret ?? []))) await keygen('server', join('servers', secret), false)
}

/** The settings fed to the real loader, with the CURVE mounts moved to `curveDir`. */
function load(t: TestContext, settings: ShipperSettings, curveDir = join(tempDir(t), 'curve')): ShipperConfig {
  const dir = tempDir(t)
  const file = join(dir, 'config.json')
  const moved = (text: string): string => text.replaceAll(CURVE_DIR, curveDir).replaceAll(encodeURIComponent(CURVE_DIR), encodeURIComponent(curveDir))
  writeFileSync(file, moved(JSON.stringify(settings.file, null, 2)))
  const env = Object.fromEntries(Object.entries(settings.env).map(([name, value]) => [name, moved(expandVariables(value))]))
  // The downward-API variables too: the shipper fills them in the file's endpoints itself.
  return loadConfig({ ...DOWNWARD, ...env, ZEEK_ZMQ_CONFIG: file })
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn()
  } catch (err) {
    return ((err as { problems?: string[] }).problems ?? [String(err)])
  }
  return []
}

test('the config file and the environment together hold exactly the keys of the shipper schema (less the file setting itself)', () => {
  const keys = Object.entries(schema).filter(([key]) => key !== 'configFile')
  const { file, env } = shipperSettings(defaultValues())
  const given = [...Object.keys(file), ...Object.keys(env).map((name) => keys.find(([, spec]) => spec.env === name)?.[0] ?? name)]
  assert.deepEqual(given.sort(), keys.map(([key]) => key).sort())
})

for (const { name, values } of scenarios()) {
  test(`the shipper's configuration loader accepts what ${name} produces`, async (t) => {
    const settings = shipperSettings(values)
    const curveDir = join(tempDir(t), 'curve')
    await fillCurveSecrets(t, values, curveDir)
    let config: ShipperConfig | undefined
    assert.deepEqual(problemsOf(() => (config = load(t, settings, curveDir))), [])
    const v = values as unknown as ShipperValues
    assert.deepEqual(config!.endpoints.map((e) => e.name), v.endpoints.map((e) => e.name))
    for (const [i, endpoint] of config!.endpoints.entries()) {
      const given = v.endpoints[i]!
      assert.equal(endpoint.address, expandVariables(given.address))
      assert.equal(endpoint.mode, given.mode ?? 'connect')
      assert.equal(endpoint.hwm, given.hwm ?? v.hwm, `${endpoint.name} hwm`)
      assert.equal(endpoint.lingerMs, given.linger ?? v.linger, `${endpoint.name} linger`)
      assert.deepEqual(endpoint.include, given.include ?? v.sendLogs, `${endpoint.name} include`)
      assert.deepEqual(endpoint.exclude, given.exclude ?? v.excludedLogs, `${endpoint.name} exclude`)
      assert.equal(endpoint.access?.curve, given.curve, `${endpoint.name} curve`)
      assert.equal(endpoint.access?.clientKeys?.size, given.curve === 'server' && given.clients === undefined ? 1 : undefined, `${endpoint.name} admits the key of curve.clientsSecret`)
      assert.equal(endpoint.access?.clients === '*', given.clients === '*', `${endpoint.name} clients=*`)
      assert.equal(typeof endpoint.access?.serverKey, given.serverKeySecret === undefined ? 'undefined' : 'string', `${endpoint.name} server key read`)
      assert.equal(endpoint.access?.allow !== undefined, given.allow !== undefined, `${endpoint.name} allow`)
      // A spool for every endpoint in its own directory under the chart's, sized by its value or the default.
      const spool = v.shipper.spool
      assert.equal(endpoint.spool?.dir, spool.enabled ? join(SPOOL_DIR, endpoint.name) : undefined, `${endpoint.name} spool`)
      if (spool.enabled) {
        assert.equal(endpoint.spool?.maxBytes, parseByteSize(String(given.spoolMaxBytes ?? spool.maxBytes)), `${endpoint.name} spool_max`)
        assert.equal(endpoint.spool?.sync, spool.sync, `${endpoint.name} spool_sync`)
      }
    }
    assert.deepEqual(config!.inputs, v.mode === 'relay' ? [expandVariables(`tcp://${v.relay.inputHost}:${v.relay.inputPort}`)] : ['ipc:///run/zeek-zmq/zeek.sock'])
    const input = config!.inputAccess[0]!
    assert.equal(input.curve, v.mode === 'relay' && v.relay.curve ? 'server' : undefined, 'the input is a CURVE server with relay.curve')
    assert.equal(input.clientKeys?.size, v.mode === 'relay' && v.relay.curve ? 1 : undefined, "the input admits the key of curve.clientsSecret")
    assert.equal(input.allow !== undefined, v.mode === 'relay' && v.relay.allow.length > 0, 'the input has the allow-list of relay.allow')
    assert.equal(config!.curveCert !== undefined, v.curve.certSecret !== '', 'curveCert with curve.certSecret')
    assert.equal(config!.httpHost, expandVariables(v.httpHost === '' ? (v.mode === 'sensor' ? '$(NODE_IP)' : '0.0.0.0') : v.httpHost))
    assert.equal(config!.httpPort, v.httpPort)
    assert.equal(config!.maxRecordBytes, v.maxRecordBytes)
    assert.equal(config!.endpoints[0]?.peerTimeoutMs, v.peerTimeoutMs)
  })
}

for (const mistake of MISTAKES.filter((m) => m.shipper === true)) {
  test(`the shipper's loader refuses ${mistake.what}, as the schema does`, (t) => {
    const settings = shipperSettings(mergeValues(defaultValues(), mistake.values))
    assert.notDeepEqual(problemsOf(() => load(t, settings)), [])
  })
}
