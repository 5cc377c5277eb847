// The rendered ServiceMonitor and PrometheusRule: the shipper's own "endpoint" label
// survives without honorLabels, the jobs are the ones the rules expect, and the rules are
// rules/alerts.yml tuned by the values: thresholds and hold times, the endpoints left out
// of the alerts (checked by promtool on the rendered rules: an idle archive endpoint that
// opted out raises nothing), and the runbook's address.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parse, stringify } from 'yaml'
import { CHART_DIR, defaultValues, findExecutable } from './chart.ts'
import { SHIPPER_RELABELINGS, ZEEK_RELABELINGS } from '../monitoring/promql.ts'
import { only, render, skipWithoutHelm, type K8sObject, type Service } from './render.ts'

interface Rule {
  alert: string
  expr: string
  for?: string
  labels: Record<string, string>
  annotations: Record<string, string>
}
type RuleObject = K8sObject & { spec: { groups: { name: string; rules: Rule[] }[] } }
interface ScrapeEndpoint {
  port: string
  honorLabels?: boolean
  relabelings: { action: string; regex?: string; targetLabel?: string; replacement?: string }[]
}

const promtool = findExecutable('promtool', 'PROMTOOL')
const fileRules = (): Rule[] => (parse(readFileSync(join(CHART_DIR, 'rules', 'alerts.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules)
const renderedRules = (objects: K8sObject[]): Rule[] => only<RuleObject>(objects, 'PrometheusRule').spec.groups.flatMap((g) => g.rules)

test("the ServiceMonitor drops the operator's endpoint label instead of relying on honorLabels, sets the jobs, and selects the metrics Service only", { skip: skipWithoutHelm }, () => {
  const objects = render('ci/monitoring-values.yaml')
  const monitor = only<K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: ScrapeEndpoint[] } }>(objects, 'ServiceMonitor')
  const jobs: Record<string, string> = {}
  for (const endpoint of monitor.spec.endpoints) {
    assert.notEqual(endpoint.honorLabels, true, `${endpoint.port}: honorLabels, which overrideHonorLabels turns off`)
    assert.deepEqual(endpoint.relabelings[0], { action: 'labeldrop', regex: 'endpoint' }, `${endpoint.port}: the target label "endpoint" is dropped`)
    const job = endpoint.relabelings.find((r) => r.targetLabel === 'job')
    jobs[endpoint.port] = job?.replacement ?? ''
  }
  assert.deepEqual(jobs, { http: 'zeek-zmq-shipper', 'zeek-telemetry': 'zeek' })
  // What test/monitoring/prometheus.test.ts scrapes the shipper with, in a real Prometheus.
  assert.deepEqual(monitor.spec.endpoints.find((e) => e.port === 'http')!.relabelings, SHIPPER_RELABELINGS)
  assert.deepEqual(monitor.spec.endpoints.find((e) => e.port === 'zeek-telemetry')!.relabelings, ZEEK_RELABELINGS)
  const selected = (objects.filter((o) => o.kind === 'Service') as Service[]).filter((s) =>
    Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v),
  )
  assert.deepEqual(selected.map((s) => s.metadata.name), ['zeek-zmq-shipper-metrics'])
})

test('with the default values the PrometheusRule is rules/alerts.yml as it is (values.yaml and the file agree on the thresholds)', { skip: skipWithoutHelm }, () => {
  const rendered = renderedRules(render('values.yaml', { prometheusRule: { enabled: true } }))
  assert.deepEqual(rendered, fileRules())
  const alerts = defaultValues().alerts as { dropRatio: number; for: string; criticalDropRatio: number; criticalFor: string }
  const byName = new Map(fileRules().map((r) => [r.alert, r]))
  for (const [alert, ratio, hold] of [
    ['ZeekZmqShipperRecordsDropped', alerts.dropRatio, alerts.for],
    ['ZeekZmqShipperZeekRecordsLost', alerts.dropRatio, alerts.for],
    ['ZeekZmqShipperRecordsDroppedCritical', alerts.criticalDropRatio, alerts.criticalFor],
  ] as const) {
    assert.match(byName.get(alert)!.expr, new RegExp(`> ${String(ratio).replace('.', '\\.')}\\n$`), alert)
    assert.equal(byName.get(alert)!.for, hold, alert)
  }
})

test('values tune the thresholds, hold times and runbook address, and leave the opted-out endpoints out of every endpoint alert', { skip: skipWithoutHelm }, () => {
  const rendered = new Map(renderedRules(render('ci/monitoring-values.yaml')).map((r) => [r.alert, r]))
  const dropped = rendered.get('ZeekZmqShipperRecordsDropped')!
  assert.match(dropped.expr, /> 0\.05\n$/)
  assert.equal(dropped.for, '30m')
  assert.match(rendered.get('ZeekZmqShipperRecordsDroppedCritical')!.expr, /> 0\.5\n$/)
  assert.equal(rendered.get('ZeekZmqShipperRecordsDroppedCritical')!.for, '1h')
  assert.match(rendered.get('ZeekZmqShipperZeekRecordsLost')!.expr, /> 0\.05\n$/)
  for (const rule of fileRules()) {
    const tuned = rendered.get(rule.alert)!
    assert.equal(tuned.annotations.runbook_url, `https://wiki.example.com/nsm/zeek-zmq-shipper/README.md#${rule.alert.toLowerCase()}`)
    if (rule.expr.includes('endpoint!~""')) {
      assert.ok(!tuned.expr.includes('endpoint!~""'), `${rule.alert} still matches every endpoint`)
      const threshold = (expr: string): string => expr.replace(/> [0-9.]+\n$/, '> THRESHOLD\n')
      assert.equal(threshold(tuned.expr), threshold(rule.expr.replaceAll('endpoint!~""', 'endpoint!~"local-archive"')))
    }
  }
  const names = [...rendered.keys()].filter((alert) => fileRules().find((r) => r.alert === alert)!.expr.includes('endpoint!~""'))
  assert.deepEqual(names.sort(), ['ZeekZmqShipperEndpointWithoutPeers', 'ZeekZmqShipperQueueNearlyFull', 'ZeekZmqShipperRecordsDropped', 'ZeekZmqShipperRecordsDroppedCritical'])
})

test('an endpoint name with regex characters is matched literally', { skip: skipWithoutHelm }, () => {
  const endpoints = [
    { name: 'default', address: 'tcp://$(NODE_IP):5556', mode: 'bind' },
    { name: 'arch.ive', address: 'ipc:///run/zeek-zmq/a.sock', mode: 'bind', alerting: false },
  ]
  const rule = renderedRules(render('values.yaml', { endpoints, prometheusRule: { enabled: true } })).find((r) => r.alert === 'ZeekZmqShipperEndpointWithoutPeers')!
  assert.equal(rule.expr, 'zeek_zmq_endpoint_peers{endpoint!~"arch\\\\.ive"} == 0')
})

const promtoolSkip = skipWithoutHelm || (promtool === undefined ? 'promtool is not installed (Debian package prometheus; .ci/run installs it)' : false)

test('promtool on the rendered rules: an idle archive endpoint that opted out raises no alert; the same endpoint not opted out does', { skip: promtoolSkip }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zzs-rules-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const groups = only<RuleObject>(render('ci/monitoring-values.yaml'), 'PrometheusRule').spec.groups
  // Without annotations: promtool compares them whole, and which alerts fire is the point here.
  const bare = groups.map((group) => ({ ...group, rules: group.rules.map(({ annotations: _, ...rule }) => rule) }))
  writeFileSync(join(dir, 'rendered.yml'), stringify({ groups: bare }))
  const labels = 'job="zeek-zmq-shipper", instance="sensor-1:9180"'
  // Two idle bind endpoints: nothing subscribes, the queue is full and every record is dropped.
  const idle = (endpoint: string): { series: string; values: string }[] => [
    { series: `zeek_zmq_endpoint_dropped_records_total{${labels}, endpoint="${endpoint}", reason="queue_full"}`, values: '0+100x120' },
    { series: `zeek_zmq_endpoint_queue_records{${labels}, endpoint="${endpoint}"}`, values: '1000x120' },
    { series: `zeek_zmq_endpoint_queue_capacity_records{${labels}, endpoint="${endpoint}"}`, values: '1000x120' },
    { series: `zeek_zmq_endpoint_peers{${labels}, endpoint="${endpoint}"}`, values: '0x120' },
  ]
  const expected = (alertname: string, severity: string): unknown => ({
    eval_time: '100m',
    alertname,
    exp_alerts: [{ exp_labels: { severity, job: 'zeek-zmq-shipper', instance: 'sensor-1:9180', endpoint: 'default' } }],
  })
  const tests = {
    rule_files: ['rendered.yml'],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: [...idle('local-archive'), ...idle('default')],
        alert_rule_test: [
          expected('ZeekZmqShipperRecordsDropped', 'warning'),
          expected('ZeekZmqShipperRecordsDroppedCritical', 'critical'),
          expected('ZeekZmqShipperQueueNearlyFull', 'warning'),
          expected('ZeekZmqShipperEndpointWithoutPeers', 'warning'),
        ],
      },
    ],
  }
  writeFileSync(join(dir, 'rendered.test.yml'), stringify(tests))
  const result = spawnSync(promtool!, ['test', 'rules', 'rendered.test.yml'], { cwd: dir, encoding: 'utf8', timeout: 60_000 })
  // promtool wants exactly the expected alerts: one for local-archive would fail the test.
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`)
})
