// Rollouts: pods roll when what they run changes and only then (a chart bump alone must not
// restart Zeek on every sensor), a rolling update takes a bounded number of sensors down at
// a time, and relays are spread over nodes and covered by a PodDisruptionBudget.

import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { CHART_DIR } from './chart.ts'
import { only, render, skipWithoutHelm as skip, workloadOf, type K8sObject } from './render.ts'

const checksum = (objects: K8sObject[]): string => workloadOf(objects).spec.template.metadata.annotations['checksum/config']!

test('a new chart version alone does not change the pods; a changed setting or Zeek script does', { skip }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zzs-chart-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const bumped = join(dir, 'zeek-zmq-shipper')
  cpSync(CHART_DIR, bumped, { recursive: true })
  const chartYaml = join(bumped, 'Chart.yaml')
  writeFileSync(chartYaml, readFileSync(chartYaml, 'utf8').replace(/^version: .*$/m, 'version: 9.9.9'))

  const before = render('values.yaml')
  const after = render('values.yaml', undefined, bumped)
  assert.notDeepEqual(only(before, 'ConfigMap').metadata.labels, only(after, 'ConfigMap').metadata.labels, 'the ConfigMap labels carry the chart version')
  assert.equal(checksum(after), checksum(before))
  assert.notEqual(checksum(render('values.yaml', { hwm: 1001 })), checksum(before), 'a setting of the config file')
  const diskLogs = checksum(render('values.yaml', { zeek: { diskLogs: true } }))
  assert.notEqual(diskLogs, checksum(before), "the chart's Zeek script")
  assert.notEqual(checksum(render('values.yaml', { zeek: { diskLogs: true, logRotationInterval: '2hr' } })), diskLogs, 'the rotation interval')
})

test('the DaemonSet replaces sensors maxUnavailable at a time and waits minReadySeconds for each', { skip }, () => {
  const daemonSet = workloadOf(render('values.yaml', { sensor: { maxUnavailable: '25%' }, minReadySeconds: 45 }))
  assert.equal(daemonSet.spec.minReadySeconds, 45)
  assert.deepEqual(daemonSet.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%' } })
  const onDelete = workloadOf(render('ci/sensor-values.yaml'))
  assert.deepEqual(onDelete.spec.updateStrategy, { type: 'OnDelete' })
})

test('relays: a PodDisruptionBudget with more than one replica, spread over nodes, with the user constraints added', { skip }, () => {
  const objects = render('ci/relay-values.yaml')
  const selector = workloadOf(objects).spec.selector.matchLabels
  const pdb = only<K8sObject & { spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } } }>(objects, 'PodDisruptionBudget')
  assert.equal(pdb.spec.maxUnavailable, 1)
  assert.deepEqual(pdb.spec.selector.matchLabels, selector)
  const pod = workloadOf(objects).spec.template.spec as unknown as { topologySpreadConstraints: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }[] }
  assert.deepEqual(pod.topologySpreadConstraints.map((c) => c.topologyKey), ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'])
  assert.deepEqual(pod.topologySpreadConstraints[0]!.labelSelector.matchLabels, selector)
  assert.equal(render('ci/relay-values.yaml', { relay: { replicas: 1 } }).filter((o) => o.kind === 'PodDisruptionBudget').length, 0, 'no PDB for a single relay, which it would block from every drain')
})

test('no priority class by default (system-node-critical is refused outside kube-system); a given one is used', { skip }, () => {
  assert.equal(workloadOf(render('values.yaml')).spec.template.spec.priorityClassName, undefined)
  assert.equal(workloadOf(render('ci/sensor-values.yaml')).spec.template.spec.priorityClassName, 'zeek-sensor')
})
