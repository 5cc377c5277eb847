// shipper.spool: each endpoint's disk spool, on the sensor node's own disk (a hostPath that
// outlives the pod) or on a claim for one relay, writable by the shipper's non-root user.
// These tests read what helm template renders; shipper-config.test.ts runs the rendered
// file through the shipper's own loader (each endpoint's spool directory, size and sync).

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SPOOL_DIR } from './chart.ts'
import { containersOf, render, shipperConfigOf, skipWithoutHelm as skip, template, workloadOf, type Container, type K8sObject, type PodSpec } from './render.ts'

interface SpoolVolume {
  name: string
  hostPath?: { path: string; type: string }
  persistentVolumeClaim?: { claimName: string }
}
type Pod = PodSpec & { securityContext: { fsGroup?: number; fsGroupChangePolicy?: string }; volumes: SpoolVolume[] }

const podOf = (objects: K8sObject[]): Pod => workloadOf(objects).spec.template.spec as Pod
const spoolVolume = (objects: K8sObject[]): SpoolVolume | undefined => podOf(objects).volumes.find((v) => v.name === 'spool')

test('off by default: no spool setting in the file, no spool volume', { skip }, () => {
  for (const scenario of ['values.yaml', 'ci/relay-values.yaml']) {
    const objects = render(scenario)
    const config = shipperConfigOf(objects)
    assert.equal(config.spoolDir, '', "the shipper's default: no spool")
    assert.ok(config.endpoints.every((e) => !('spool_max' in e) && !('spool_sync' in e)))
    assert.equal(spoolVolume(objects), undefined)
    assert.equal(podOf(objects).initContainers?.find((c) => c.name === 'spool-owner'), undefined)
  }
})

test("a sensor spools to the node's directory: ZEEK_ZMQ_SPOOL_DIR and each endpoint's spool_max and spool_sync in the file", { skip }, () => {
  const objects = render('ci/spool-sensor-values.yaml')
  const config = shipperConfigOf(objects)
  assert.equal(config.spoolDir, SPOOL_DIR)
  assert.deepEqual(config.endpoints.map((e) => [e.name, e.spool_max, e.spool_sync]), [
    ['siem', '8GiB', 'always'],
    ['analysts', '2GiB', 'always'],
  ])
  assert.deepEqual(spoolVolume(objects), { name: 'spool', hostPath: { path: '/var/lib/zeek-spool', type: 'DirectoryOrCreate' } })
  const { shipper, zeek } = containersOf(workloadOf(objects))
  assert.deepEqual(shipper.volumeMounts!.filter((m) => m.name === 'spool'), [{ name: 'spool', mountPath: SPOOL_DIR }])
  assert.equal(zeek!.volumeMounts!.find((m) => m.name === 'spool'), undefined, "Zeek has no business in the shipper's spool")
  // One directory per release on the node, unless one is given.
  const byDefault = render('ci/spool-sensor-values.yaml', { shipper: { spool: { hostPath: '' } } })
  assert.equal(spoolVolume(byDefault)?.hostPath?.path, `/var/lib/zeek-zmq-shipper/${workloadOf(byDefault).metadata.name}`)
})

test("the node's directory is handed to the shipper's user before the shipper starts, by a container that may chown and nothing else", { skip }, () => {
  const pod = podOf(render('ci/spool-sensor-values.yaml'))
  const names = pod.initContainers!.map((c) => c.name)
  assert.ok(names.indexOf('spool-owner') < names.indexOf('shipper'), 'spool-owner runs first')
  const owner = pod.initContainers!.find((c) => c.name === 'spool-owner')! as Container & { command: string[] }
  const { shipper } = containersOf(workloadOf(render('ci/spool-sensor-values.yaml')))
  assert.deepEqual(owner.command, ['chown', `${shipper.securityContext.runAsUser}:${shipper.securityContext.runAsGroup}`, SPOOL_DIR])
  assert.equal(owner.restartPolicy, undefined, 'an ordinary init container: it ends before the shipper starts')
  assert.equal(owner.securityContext.runAsUser, 0)
  assert.deepEqual(owner.securityContext.capabilities, { drop: ['ALL'], add: ['CHOWN'] })
  assert.equal(owner.securityContext.allowPrivilegeEscalation, false)
  assert.equal(owner.securityContext.readOnlyRootFilesystem, true)
  assert.deepEqual(owner.volumeMounts, [{ name: 'spool', mountPath: SPOOL_DIR }])
  assert.equal(pod.securityContext.fsGroup, undefined, 'fsGroup does not apply to a hostPath: not set for it')
})

test("a relay spools to the given claim, which the pod's fsGroup makes the shipper's", { skip }, () => {
  const objects = render('ci/spool-relay-values.yaml')
  assert.deepEqual(spoolVolume(objects), { name: 'spool', persistentVolumeClaim: { claimName: 'zeek-relay-spool' } })
  const pod = podOf(objects)
  const { shipper } = containersOf(workloadOf(objects))
  assert.equal(pod.securityContext.fsGroup, shipper.securityContext.runAsGroup)
  assert.equal(pod.securityContext.fsGroupChangePolicy, 'OnRootMismatch', 'not a walk over every spool file at every start')
  assert.equal(pod.initContainers, undefined, 'no chown container for a claim')
  assert.deepEqual(shipperConfigOf(objects).endpoints.map((e) => [e.spool_max, e.spool_sync]), [['1GiB', 'interval']])
})

test("an endpoint's spool size and sync are reloaded like the rest of the endpoint: the pods stay as they are", { skip }, () => {
  const before = render('ci/spool-sensor-values.yaml')
  const after = render('ci/spool-sensor-values.yaml', { endpoints: [{ name: 'siem', address: 'tcp://siem-collector.logging.svc:5556', spoolMaxBytes: '16GiB' }] })
  assert.notDeepEqual(shipperConfigOf(after).endpoints, shipperConfigOf(before).endpoints)
  assert.deepEqual(workloadOf(after).spec.template, workloadOf(before).spec.template)
  assert.notDeepEqual(workloadOf(render('values.yaml', { shipper: { spool: { enabled: true } } })).spec.template, workloadOf(render('values.yaml')).spec.template, 'turning the spool on adds a volume: new pods')
})

const refusals: [string, string, Record<string, unknown>, RegExp][] = [
  ['a relay spool without a claim', 'ci/spool-relay-values.yaml', { shipper: { spool: { persistentVolumeClaim: '' } } }, /shipper\.spool in relay mode keeps the spools on a PersistentVolumeClaim/],
  ['two relays on one claim', 'ci/spool-relay-values.yaml', { relay: { replicas: 2 }, endpoints: [{ name: 'c', address: 'tcp://c:1' }] }, /relay\.replicas is 2 with shipper\.spool/],
  ['a spool smaller than the shipper takes', 'ci/spool-sensor-values.yaml', { shipper: { spool: { maxBytes: '512KiB' } } }, /less than the smallest spool the shipper takes, 1MiB/],
  ['a spool size in a unit the shipper does not read', 'ci/spool-sensor-values.yaml', { shipper: { spool: { maxBytes: '2G' } } }, /maxBytes/],
  ['a fractional spool size', 'ci/spool-sensor-values.yaml', { endpoints: [{ name: 'a', address: 'tcp://a:1', spoolMaxBytes: '1.5GiB' }] }, /spoolMaxBytes/],
  ['an unknown sync policy', 'ci/spool-sensor-values.yaml', { shipper: { spool: { sync: 'sometimes' } } }, /sync/],
  ['a relative host directory', 'ci/spool-sensor-values.yaml', { shipper: { spool: { hostPath: 'spool' } } }, /hostPath/],
]
for (const [what, scenario, values, message] of refusals) {
  test(`the chart refuses ${what}`, { skip }, () => {
    const { status, stderr } = template(scenario, values)
    assert.notEqual(status, 0)
    assert.match(stderr, message)
  })
}
