// Endpoint changes reach the running shipper through its mounted config file, not through
// new pods (which in sensor mode would restart Zeek too): the pod template, checksum
// included, stays the same while the ConfigMap changes; settings the shipper applies only
// at its start still roll the pods.

import assert from 'node:assert/strict'
import { dirname } from 'node:path'
import { test } from 'node:test'
import { containersOf, envValue, only, render, shipperConfigOf, skipWithoutHelm as skip, workloadOf, type K8sObject, type Service } from './render.ts'

const before = [{ name: 'default', address: 'tcp://$(NODE_IP):5556', mode: 'bind' }]
const after = [
  { name: 'default', address: 'tcp://$(NODE_IP):5556', mode: 'bind', include: ['conn', 'dns'] },
  { name: 'siem', address: 'tcp://siem.logging.svc:5557', exclude: ['weird'] },
  { name: 'analysts', address: 'tcp://$(NODE_IP):5560', mode: 'bind' },
]

const podTemplate = (objects: K8sObject[]): unknown => workloadOf(objects).spec.template
const checksum = (objects: K8sObject[]): string => workloadOf(objects).spec.template.metadata.annotations['checksum/config']!

for (const scenario of ['values.yaml', 'ci/relay-values.yaml']) {
  test(`${scenario}: another set of endpoints changes the ConfigMap and not the pods`, { skip }, () => {
    const endpoints = scenario === 'values.yaml' ? { before, after } : { before: after.slice(1, 2), after: after.slice(1).map((e) => ({ ...e, address: e.address.replace('$(NODE_IP)', '$(POD_IP)') })) }
    const old = render(scenario, { endpoints: endpoints.before })
    const changed = render(scenario, { endpoints: endpoints.after })
    assert.notDeepEqual(shipperConfigOf(changed).endpoints, shipperConfigOf(old).endpoints)
    assert.equal(checksum(changed), checksum(old))
    assert.deepEqual(podTemplate(changed), podTemplate(old), 'the whole pod template, not only its checksum')
    // A new bind port is the Service's business (helm upgrade), not the pod's.
    const ports = (objects: K8sObject[]): number[] => (objects.filter((o) => o.kind === 'Service' && !o.metadata.name.endsWith('-metrics')) as Service[]).flatMap((s) => s.spec.ports.map((p) => p.port))
    assert.ok(ports(changed).includes(5560) && !ports(old).includes(5560), 'the bind port of the added endpoint is on the Service')
  })
}

test('a setting the shipper applies only at its start changes the checksum, and so rolls the pods', { skip }, () => {
  const base = checksum(render('values.yaml'))
  for (const restartOnly of [{ maxPaths: 2048 }, { logLevel: 'debug' }, { pathIdleS: 60 }, { hwm: 2000 }, { sendLogs: ['conn'] }]) {
    assert.notEqual(checksum(render('values.yaml', restartOnly)), base, JSON.stringify(restartOnly))
  }
})

test('the ConfigMap is mounted as a directory (a subPath mount never sees an update), the directory ZEEK_ZMQ_CONFIG is in', { skip }, () => {
  for (const scenario of ['values.yaml', 'ci/relay-values.yaml']) {
    const objects = render(scenario)
    const { shipper } = containersOf(workloadOf(objects))
    const mount = shipper.volumeMounts!.find((m) => m.name === 'config') as { mountPath: string; subPath?: string } | undefined
    assert.ok(mount, 'the config volume is mounted')
    assert.equal(mount.subPath, undefined)
    assert.equal(dirname(envValue(shipper, 'ZEEK_ZMQ_CONFIG')!), mount.mountPath)
    const volume = workloadOf(objects).spec.template.spec.volumes.find((v) => v.name === 'config') as { configMap?: { name: string; items?: unknown } }
    assert.equal(volume.configMap?.name, only(objects.filter((o) => !o.metadata.name.endsWith('-dashboards')), 'ConfigMap').metadata.name)
    assert.equal(volume.configMap?.items, undefined, 'the whole ConfigMap, config.json by its own name')
  }
})
