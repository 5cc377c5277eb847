// The shipper settings that values.yaml and each ci/ scenario produce must be accepted by
// the shipper's real configuration loader, from a JSON file as the chart mounts it and the
// addresses in the environment as Kubernetes expands them.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { loadConfig, type ShipperConfig } from '../../src/config/load-config.ts'
import { schema } from '../../src/config/schema.ts'
import { defaultValues, expandVariables, mergeValues, scenarios, shipperSettings, type ShipperSettings, type ShipperValues } from './chart.ts'
import { MISTAKES } from './mistakes.ts'

function load(t: TestContext, settings: ShipperSettings): ShipperConfig {
  const dir = mkdtempSync(join(tmpdir(), 'zzs-chart-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'config.json')
  writeFileSync(file, JSON.stringify(settings.file, null, 2))
  const env = Object.fromEntries(Object.entries(settings.env).map(([name, value]) => [name, expandVariables(value)]))
  return loadConfig({ ...env, ZEEK_ZMQ_CONFIG: file })
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn()
  } catch (err) {
    return ((err as { problems?: string[] }).problems ?? [String(err)])
  }
  return []
}

// Settings the chart does not render yet, each with what brings it in: the chart's
// `curve.certSecret` (issue 9) mounts the certificate and sets curveCert.
const NOT_YET_IN_CHART = ['curveCert']

test('the config file and the environment together hold exactly the keys of the shipper schema (less the file setting itself)', () => {
  const keys = Object.entries(schema).filter(([key]) => key !== 'configFile' && !NOT_YET_IN_CHART.includes(key))
  const { file, env } = shipperSettings(defaultValues())
  const given = [...Object.keys(file), ...Object.keys(env).map((name) => keys.find(([, spec]) => spec.env === name)?.[0] ?? name)]
  assert.deepEqual(given.sort(), keys.map(([key]) => key).sort())
})

for (const { name, values } of scenarios()) {
  test(`the shipper's configuration loader accepts what ${name} produces`, (t) => {
    const settings = shipperSettings(values)
    let config: ShipperConfig | undefined
    assert.deepEqual(problemsOf(() => (config = load(t, settings))), [])
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
    }
    assert.deepEqual(config!.inputs, v.mode === 'relay' ? [expandVariables(`tcp://${v.relay.inputHost}:${v.relay.inputPort}`)] : ['ipc:///run/zeek-zmq/zeek.sock'])
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
