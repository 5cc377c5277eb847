// The Grafana dashboard and the alert rules, read as files: what every panel and rule must
// carry, and which metric names they may use. Prometheus evaluates them in
// prometheus.test.ts.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { SHIPPER_METRICS } from '../../src/metrics/metric-names.ts'
import { CHART_DIR } from '../helm/chart.ts'
import * as promql from './promql.ts'

const SHIPPER_NAMES = new Set(SHIPPER_METRICS.map((metric) => metric.name))
const dashboard = promql.readDashboard()

test('every dashboard panel has a title, a description and at least one query', () => {
  assert.ok(dashboard.panels.length >= 10)
  for (const panel of dashboard.panels) {
    assert.ok(panel.title.trim() !== '', 'a panel without a title')
    assert.ok((panel.description ?? '').trim().length >= 20, `panel "${panel.title}" needs a description`)
    assert.ok((panel.targets ?? []).length > 0, `panel "${panel.title}" has no query`)
  }
})

test('the dashboard is templated on datasource, instance and endpoint, and every panel uses the datasource variable', () => {
  const byName = new Map(dashboard.templating.list.map((variable) => [variable.name, variable]))
  assert.equal(byName.get('datasource')?.type, 'datasource')
  for (const name of ['instance', 'endpoint']) assert.ok(promql.labelValuesQuery(byName.get(name)!), `${name} is a label_values query`)
  const text = JSON.stringify(dashboard.panels)
  assert.ok(!/"uid":"(?!\$\{datasource\})/.test(text.replace(/\s/g, '')), 'a panel names a fixed datasource uid')
  for (const { source, expr } of promql.dashboardExpressions(dashboard)) {
    if (expr.includes('zeek_zmq_') || expr.includes('process_') || expr.includes('nodejs_')) {
      assert.match(expr, /instance=~"\$instance"/, `${source} is not filtered on the instance variable`)
    }
    if (expr.includes('zeek_zmq_endpoint_')) assert.match(expr, /endpoint=~"\$endpoint"/, `${source} is not filtered on the endpoint variable`)
  }
})

test('the dashboard has the panels operators look for', () => {
  const wanted: [string, RegExp][] = [
    ['input records/s by path', /sum by \(path\) \(rate\(zeek_zmq_input_records_total/],
    ['sent records/s per endpoint', /sum by \(endpoint\) \(rate\(zeek_zmq_endpoint_sent_records_total/],
    ['sent bytes/s per endpoint', /sum by \(endpoint\) \(rate\(zeek_zmq_endpoint_sent_bytes_total/],
    ['dropped records/s by endpoint and reason', /sum by \(endpoint, reason\) \(rate\(zeek_zmq_endpoint_dropped_records_total/],
    ['queue depth', /zeek_zmq_endpoint_queue_records\{/],
    ['queue capacity', /zeek_zmq_endpoint_queue_capacity_records\{/],
    ['peers per endpoint', /sum by \(endpoint\) \(zeek_zmq_endpoint_peers/],
    ['rejected input by reason', /sum by \(reason\) \(rate\(zeek_zmq_input_rejected_total/],
    ["Zeek's log writes to its ZeroMQ writer", /zeek_log_writer_writes_total\{writer="Log::WRITER_ZEROMQ"/],
    ['process CPU', /rate\(process_cpu_seconds_total/],
    ['process memory', /process_resident_memory_bytes/],
  ]
  const exprs = promql.dashboardExpressions(dashboard).map((e) => e.expr)
  for (const [what, pattern] of wanted) assert.ok(exprs.some((expr) => pattern.test(expr)), `no panel shows ${what}`)
})

test('the alert rules cover drops, full queues, missing peers, missing input and rejected input, each with a summary and description naming its subject', () => {
  const rules = promql.readRules()
  const names = rules.map((rule) => rule.alert)
  assert.deepEqual(names.sort(), [
    'ZeekZmqShipperEndpointWithoutPeers',
    'ZeekZmqShipperInputRejected',
    'ZeekZmqShipperNoInput',
    'ZeekZmqShipperQueueNearlyFull',
    'ZeekZmqShipperRecordsDropped',
  ])
  for (const rule of rules) {
    const { summary = '', description = '' } = rule.annotations ?? {}
    const subject = rule.expr.includes('zeek_zmq_endpoint_') ? '{{ $labels.endpoint }}' : '{{ $labels.instance }}'
    assert.ok(summary.includes(subject), `${rule.alert}: the summary names ${subject}`)
    assert.ok(description.includes(subject), `${rule.alert}: the description names ${subject}`)
    assert.ok(rule.labels?.severity, `${rule.alert} has a severity`)
  }
})

test('promql.metricNames finds the metrics of an expression and nothing else', () => {
  assert.deepEqual(
    promql.metricNames('clamp_min(sum by (path) (rate(a_total{x="b_total", y=~"$v"}[5m])) - on (instance) group_left (z) b_bytes * 1e3 > bool 0, 0) and up == 1'),
    ['a_total', 'b_bytes', 'up'],
  )
})

test('every metric the dashboard and the rules use is a shipper metric, or one of Zeek, Prometheus or the process', () => {
  for (const { source, expr } of [...promql.dashboardExpressions(dashboard), ...promql.ruleExpressions()]) {
    const names = promql.metricNames(expr)
    assert.ok(names.length > 0, `${source} uses no metric`)
    for (const name of names) {
      if (name.startsWith('zeek_zmq_')) assert.ok(SHIPPER_NAMES.has(name), `${source}: ${name} is not in src/metrics/metric-names.ts`)
      else assert.ok(promql.ZEEK_METRICS.has(name) || promql.PROMETHEUS_METRICS.has(name) || /^(process|nodejs)_/.test(name), `${source}: ${name} is from nowhere known`)
    }
  }
})

test('the chart ships the same dashboard and rule files (one source for Helm and compose)', () => {
  const templates = join(CHART_DIR, 'templates')
  assert.match(readFileSync(join(templates, 'dashboards-configmap.yaml'), 'utf8'), /\.Files\.Glob "dashboards\/\*\.json"/)
  assert.match(readFileSync(join(templates, 'prometheusrule.yaml'), 'utf8'), /\.Files\.Get "rules\/alerts\.yml" \| fromYaml/)
})
