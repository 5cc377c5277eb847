// CurveZMQ in the chart: the Secrets of curve.certSecret, curve.clientsSecret and each
// endpoint's serverKeySecret are mounted read-only (mode 0400) in the shipper container
// alone, and the pod gets the shipper's group as fsGroup so that it may read them.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CHART_DIR, CURVE_DIR, scenarios, type ShipperValues, type Values } from './chart.ts'
import { containersOf, RELEASE, render, runHelm, skipWithoutHelm as skip, template, valuesArgs, workloadOf, type K8sObject } from './render.ts'

interface SecretVolume {
  name: string
  secret?: { secretName: string; defaultMode?: number }
}
interface Mount {
  name: string
  mountPath: string
  readOnly?: boolean
}

/** The Secrets a scenario's values call for, by mount path. */
function expectedMounts(v: ShipperValues): Map<string, string> {
  const mounts = new Map<string, string>()
  if (v.curve.certSecret !== '') mounts.set(`${CURVE_DIR}/cert`, v.curve.certSecret)
  if (v.curve.clientsSecret !== '') mounts.set(`${CURVE_DIR}/clients`, v.curve.clientsSecret)
  for (const endpoint of v.endpoints) if (endpoint.serverKeySecret !== undefined) mounts.set(`${CURVE_DIR}/servers/${endpoint.serverKeySecret}`, endpoint.serverKeySecret)
  return mounts
}

function curveOf(objects: K8sObject[]): { mounts: Map<string, string>; fsGroup: unknown } {
  const workload = workloadOf(objects)
  const pod = workload.spec.template.spec as unknown as { volumes: SecretVolume[]; securityContext: { fsGroup?: number } }
  const { shipper, zeek } = containersOf(workload)
  const secrets = new Map(pod.volumes.filter((vol) => vol.secret !== undefined).map((vol) => [vol.name, vol.secret!]))
  const mounts = new Map<string, string>()
  for (const mount of (shipper.volumeMounts ?? []) as Mount[]) {
    const secret = secrets.get(mount.name)
    if (secret === undefined) continue
    assert.equal(mount.readOnly, true, `${mount.mountPath} is read-only`)
    assert.equal(secret.defaultMode, 0o400, `${mount.mountPath} has mode 0400`)
    assert.ok(mount.mountPath.startsWith(`${CURVE_DIR}/`), mount.mountPath)
    mounts.set(mount.mountPath, secret.secretName)
  }
  assert.equal(mounts.size, secrets.size, 'every Secret volume is mounted in the shipper')
  for (const mount of (zeek?.volumeMounts ?? []) as Mount[]) assert.ok(!secrets.has(mount.name), `Zeek does not mount ${mount.name}`)
  return { mounts, fsGroup: pod.securityContext.fsGroup }
}

for (const { name, values } of scenarios()) {
  test(`helm template on ${name} mounts the CURVE Secrets its values name, read-only with mode 0400`, { skip }, () => {
    const v = values as unknown as ShipperValues
    const { mounts, fsGroup } = curveOf(render(name))
    const expected = expectedMounts(v)
    assert.deepEqual(mounts, expected)
    // A relay's spool claim needs the group too (spool.test.ts).
    const claim = v.mode === 'relay' && v.shipper.spool.enabled
    assert.equal(fsGroup, expected.size > 0 || claim ? 1000 : undefined, "the shipper's group may read the root-owned Secret files")
  })
}

test('each distinct serverKeySecret gets one volume, and endpoints sharing one share it', { skip }, () => {
  const curveSensor = scenarios().find((s) => s.name === 'ci/curve-sensor-values.yaml')!
  const endpoints = [...(curveSensor.values as unknown as ShipperValues).endpoints]
  endpoints.push({ name: 'backup', address: 'tcp://backup.example.net:5555', curve: 'client', serverKeySecret: 'zeek-backup-key' })
  endpoints.push({ name: 'backup-2', address: 'tcp://backup-2.example.net:5555', curve: 'client', serverKeySecret: 'zeek-backup-key' })
  const { mounts } = curveOf(render('ci/curve-sensor-values.yaml', { endpoints } as unknown as Values))
  assert.deepEqual([...mounts.keys()].filter((path) => path.includes('/servers/')).sort(), [`${CURVE_DIR}/servers/zeek-backup-key`, `${CURVE_DIR}/servers/zeek-relay-key`])
})

// The schema refuses these values first; the templates' own refusals stand behind it for
// an install that skips the schema (helm --skip-schema-validation), with their own message.
const REFUSALS: { what: string; values: Values; message: RegExp }[] = [
  {
    what: 'a CURVE server endpoint that admits the clients of an empty curve.clientsSecret',
    values: { curve: { certSecret: 'zeek-curve' }, endpoints: [{ name: 'collectors', address: 'tcp://$(NODE_IP):5556', mode: 'bind', curve: 'server' }] },
    message: /endpoint "collectors" is a CURVE server that admits the clients of curve.clientsSecret, which is empty: .* or set clients: "\*"/,
  },
  {
    what: 'relay.curve without curve.clientsSecret',
    values: { mode: 'relay', curve: { certSecret: 'zeek-curve' }, relay: { curve: true }, endpoints: [{ name: 'a', address: 'tcp://a:1' }] },
    message: /relay.curve admits only the sensors whose public certificates are in curve.clientsSecret, which is empty/,
  },
  {
    what: 'CURVE without curve.certSecret',
    values: { mode: 'relay', curve: { clientsSecret: 'zeek-sensors' }, relay: { curve: true }, endpoints: [{ name: 'store', address: 'tcp://store:1', curve: 'client', serverKeySecret: 'k' }] },
    message: /relay.curve, endpoint "store" speaks CURVE, but curve.certSecret is empty/,
  },
]

for (const { what, values, message } of REFUSALS) {
  test(`the schema and, without it, the templates refuse ${what}`, { skip }, () => {
    assert.notEqual(template('values.yaml', values).status, 0, 'the schema refuses it')
    const { args, cleanup } = valuesArgs('values.yaml', values)
    try {
      const { status, stderr } = runHelm(['template', RELEASE, CHART_DIR, '--skip-schema-validation', ...args])
      assert.notEqual(status, 0)
      assert.match(stderr, message)
    } finally {
      cleanup()
    }
  })
}
