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

test('the dashboard is templated on datasource, namespace, pod, instance and endpoint, and every panel uses the datasource variable', () => {
  const byName = new Map(dashboard.templating.list.map((variable) => [variable.name, variable]))
  assert.deepEqual([...byName.keys()], ['datasource', 'namespace', 'pod', 'instance', 'endpoint'])
  assert.equal(byName.get('datasource')?.type, 'datasource')
  for (const name of ['namespace', 'pod', 'instance', 'endpoint']) assert.ok(promql.labelValuesQuery(byName.get(name)!), `${name} is a label_values query`)
  // "All" must match series without the label too (compose has no namespace or pod).
  for (const name of ['namespace', 'pod']) assert.equal(byName.get(name)?.allValue, '.*')
  const text = JSON.stringify(dashboard.panels)
  assert.ok(!/"uid":"(?!\$\{datasource\})/.test(text.replace(/\s/g, '')), 'a panel names a fixed datasource uid')
  const expressions = promql.dashboardExpressions(dashboard)
  const zeekPanels = new Set(expressions.filter((e) => e.expr.includes('zeek_log_writer_writes_total')).map((e) => e.panel))
  assert.ok(zeekPanels.size >= 2)
  for (const { source, expr, panel } of expressions) {
    const zeek = zeekPanels.has(panel)
    if (expr.includes('zeek_zmq_') || expr.includes('process_') || expr.includes('nodejs_') || zeek) {
      assert.match(expr, /namespace=~"\$namespace", pod=~"\$pod"/, `${source} is not filtered on the namespace and pod variables`)
    }
    // Zeek's telemetry is another scrape target (another instance) of the same pod: the
    // Zeek panels match by pod, and an instance filter would leave one side out.
    if (zeek) assert.doesNotMatch(expr, /instance/, `${source} filters Zeek's writes or the shipper's input by instance`)
    else if (expr.includes('zeek_zmq_') || expr.includes('process_') || expr.includes('nodejs_')) assert.match(expr, /instance=~"\$instance"/, `${source} is not filtered on the instance variable`)
    if (expr.includes('zeek_zmq_endpoint_')) assert.match(expr, /endpoint=~"\$endpoint"/, `${source} is not filtered on the endpoint variable`)
    if (zeek && expr.includes('zeek_zmq_input_records_total') && expr.includes(' - ')) {
      assert.match(expr, /- on \(namespace, pod, path\)/, `${source} compares Zeek and the shipper other than by pod and path`)
    }
  }
})

test('stat panels run instant queries (one value for the time range), not range queries', () => {
  const stats = dashboard.panels.filter((panel) => panel.type === 'stat')
  assert.ok(stats.length >= 4)
  for (const panel of stats) {
    for (const target of panel.targets ?? []) {
      assert.equal(target.instant, true, `stat "${panel.title}" is not instant`)
      assert.equal(target.range, false, `stat "${panel.title}" is a range query`)
    }
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
    ['loss on the Zeek hop by pod and path', /^clamp_min\(sum by \(namespace, pod, path\) \(rate\(zeek_log_writer_writes_total/],
    ['process CPU', /rate\(process_cpu_seconds_total/],
    ['process memory', /process_resident_memory_bytes/],
  ]
  const exprs = promql.dashboardExpressions(dashboard).map((e) => e.expr)
  for (const [what, pattern] of wanted) assert.ok(exprs.some((expr) => pattern.test(expr)), `no panel shows ${what}`)
})

test('the alert rules cover drops, Zeek-to-shipper loss, full queues, missing peers, a shipper down or absent, missing and rejected input, internal errors, each with a summary and description naming its subject', () => {
  const rules = promql.readRules()
  const names = rules.map((rule) => rule.alert)
  assert.deepEqual(names.sort(), [
    'ZeekZmqShipperAbsent',
    'ZeekZmqShipperDown',
    'ZeekZmqShipperEndpointWithoutPeers',
    'ZeekZmqShipperInputRejected',
    'ZeekZmqShipperInternalError',
    'ZeekZmqShipperNoInput',
    'ZeekZmqShipperQueueNearlyFull',
    'ZeekZmqShipperRecordsDropped',
    'ZeekZmqShipperRecordsDroppedCritical',
    'ZeekZmqShipperZeekRecordsLost',
  ])
  for (const rule of rules) {
    const { summary = '', description = '' } = rule.annotations ?? {}
    const subject = rule.expr.includes('zeek_zmq_endpoint_')
      ? '{{ $labels.endpoint }}'
      : rule.expr.startsWith('absent(')
        ? '{{ $labels.job }}'
        : rule.expr.includes('zeek_log_writer_writes_total')
          ? '{{ $labels.pod }}'
          : '{{ $labels.instance }}'
    assert.ok(summary.includes(subject), `${rule.alert}: the summary names ${subject}`)
    assert.ok(description.includes(subject), `${rule.alert}: the description names ${subject}`)
    assert.ok(['warning', 'critical'].includes(rule.labels?.severity ?? ''), `${rule.alert} has a severity`)
  }
})

test('no alert fires on a single event: every rule that counts drops, losses or absences holds for a while first', () => {
  for (const rule of promql.readRules()) {
    // News at once (warnings): hostile or broken input, and a bug the shipper survived.
    if (rule.alert === 'ZeekZmqShipperInputRejected' || rule.alert === 'ZeekZmqShipperInternalError') continue
    assert.ok(rule.for !== undefined && rule.for !== '0m', `${rule.alert} has no for:`)
    if (rule.labels?.severity === 'critical') assert.ok(promql.minutes(rule.for) >= 5, `${rule.alert} is critical after ${rule.for}`)
  }
})

test('every alert has a runbook_url pointing at its own section of the Runbook in the chart README', () => {
  const readme = readFileSync(join(CHART_DIR, 'README.md'), 'utf8')
  const runbook = readme.slice(readme.indexOf('\n## Runbook'))
  assert.ok(runbook.length > 100, 'the chart README has a Runbook section')
  const anchors = new Set([...runbook.matchAll(/^### (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')))
  for (const rule of promql.readRules()) {
    const url = rule.annotations?.runbook_url ?? ''
    assert.equal(url, `helm/zeek-zmq-shipper/README.md#${rule.alert.toLowerCase()}`, `${rule.alert}: runbook_url`)
    assert.ok(anchors.has(rule.alert.toLowerCase()), `the Runbook has no section "### ${rule.alert}"`)
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

test('the alert tables of both READMEs list exactly the alerts of rules/alerts.yml', () => {
  const names = promql.readRules().map((rule) => rule.alert).sort()
  for (const file of [join(CHART_DIR, 'README.md'), join(CHART_DIR, '..', '..', 'README.md')]) {
    const text = readFileSync(file, 'utf8')
    const listed = [...text.matchAll(/^\| `(ZeekZmqShipper\w+)`/gm)].map((m) => m[1]!).sort()
    assert.deepEqual(listed, names, file)
  }
})
