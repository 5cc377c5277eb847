// The Zeek container: a read-only root filesystem with emptyDirs for what it writes, disk
// logs in a size-limited emptyDir rotated by Zeek itself, an ephemeral-storage request to
// match, a liveness probe, and no capability beyond NET_RAW and NET_ADMIN.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { containersOf, envValue, only, render, skipWithoutHelm as skip, workloadOf, type K8sObject } from './render.ts'

test('Zeek runs with a read-only root filesystem, writing only into its emptyDirs', { skip }, () => {
  const workload = workloadOf(render('values.yaml'))
  const zeek = containersOf(workload).zeek!
  assert.equal(zeek.securityContext.readOnlyRootFilesystem, true)
  assert.equal(zeek.securityContext.allowPrivilegeEscalation, false)
  const volumes = new Map(workload.spec.template.spec.volumes.map((v) => [v.name, v]))
  const mounts = new Map(zeek.volumeMounts!.map((m) => [m.mountPath, m.name]))
  for (const path of ['/var/log/zeek', '/tmp', '/run/zeek-zmq']) {
    const volume = volumes.get(mounts.get(path)!)
    assert.ok(volume?.emptyDir?.sizeLimit, `${path} is a size-limited emptyDir`)
  }
})

test('disk logs: an emptyDir of diskLogsSizeLimit, requested as ephemeral storage, rotated by Zeek every logRotationInterval', { skip }, () => {
  const objects = render('ci/sensor-values.yaml')
  const workload = workloadOf(objects)
  const zeek = containersOf(workload).zeek!
  assert.equal(envValue(zeek, 'ZEEK_DISK_LOGS'), 'true')
  const logs = workload.spec.template.spec.volumes.find((v) => v.name === zeek.volumeMounts!.find((m) => m.mountPath === '/var/log/zeek')!.name)
  assert.equal(logs?.emptyDir?.sizeLimit, '8Gi')
  assert.equal(zeek.resources?.requests?.['ephemeral-storage'], '8Gi')
  const script = only<K8sObject & { data: Record<string, string> }>(objects, 'ConfigMap').data['chart.zeek']!
  assert.match(script, /^\t\tfilter\$interv = 30min;$/m)
  assert.doesNotMatch(script, /default_rotation_interval/, "the ZeroMQ writer's filters do not rotate")
  const scripts = envValue(zeek, 'ZEEK_SCRIPTS')!.split(' ')
  const config = zeek.volumeMounts!.find((m) => m.name === 'config')!
  assert.deepEqual(scripts, ['local', `${config.mountPath}/chart.zeek`])

  const plain = render('values.yaml')
  const without = containersOf(workloadOf(plain)).zeek!
  assert.equal(without.resources?.requests?.['ephemeral-storage'], undefined, 'no disk logs, no storage request')
  assert.doesNotMatch(only<K8sObject & { data: Record<string, string> }>(plain, 'ConfigMap').data['chart.zeek']!, /interv/, 'no disk logs, nothing rotates')
})

test("Zeek's liveness: its telemetry answering where it is on, else a zeek process alive", { skip }, () => {
  const telemetry = containersOf(workloadOf(render('values.yaml'))).zeek!
  assert.deepEqual(telemetry.livenessProbe?.httpGet, { path: '/metrics', port: 'zeek-telemetry' })
  assert.equal(telemetry.livenessProbe?.initialDelaySeconds, 30)
  const process = containersOf(workloadOf(render('ci/sensor-values.yaml'))).zeek!
  assert.equal(process.ports, undefined, 'telemetry off')
  assert.match(process.livenessProbe!.exec!.command.join(' '), /\/proc\/.*comm.*== zeek/)
  assert.equal(process.livenessProbe?.periodSeconds, 30)
})
