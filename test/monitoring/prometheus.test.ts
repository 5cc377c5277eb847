// Every PromQL expression of the dashboard and the alert rules, evaluated by a real
// Prometheus that scrapes a real shipper under load: the shipper runs as a child process
// (`node src/cli/index.ts run`), the test publishes Zeek-shaped records into its input,
// one endpoint has a subscriber, the others have none (so queues fill and records drop),
// and a few malformed messages are rejected. Beside it, a stand-in for the telemetry of a
// Zeek cluster in the same pod, one target per node as the chart's ServiceMonitor scrapes
// them, reports Zeek's writes on the workers that logged them: every record the test
// published, split over two workers, and conn records twice over, so that half of them
// look lost on the Zeek-to-shipper hop once the nodes are summed (and none, per node).

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { Publisher, Subscriber } from 'zeromq'
import { SHIPPER_METRICS } from '../../src/metrics/metric-names.ts'
import { spawnCli } from '../cli/cli-process.ts'
import { findExecutable } from '../helm/chart.ts'
import { waitFor } from '../helpers/sockets.ts'
import { ZEEK_PATHS, zeekMessage } from '../helpers/zeek-records.ts'
import {
  dashboardExpressions,
  labelValuesQuery,
  metricNames,
  PROMETHEUS_METRICS,
  readDashboard,
  readRules,
  relabelConfig,
  ruleExpressions,
  RULES_FILE,
  SHIPPER_RELABELINGS,
  ZEEK_RELABELINGS,
  substitute,
  ZEEK_METRICS,
} from './promql.ts'

const prometheusBin = findExecutable('prometheus', 'PROMETHEUS')
const skip = prometheusBin === undefined ? 'prometheus is not installed (Debian package prometheus; .ci/run installs it): the dashboard and rule queries cannot be evaluated' : false

/** Panels that must show data whenever records flow (the others may legitimately be empty). */
const CORE_PANELS = [
  'Input records/s by path',
  'Sent records/s per endpoint',
  'Queue depth vs capacity per endpoint',
  'Peers per endpoint',
  // This test also makes drops and rejects happen, so these must show them.
  'Dropped records/s by endpoint and reason',
  'Rejected input/s by reason',
  // And it stands in for Zeek's telemetry, with a loss on the Zeek hop.
  "Zeek's log writes vs the shipper's input",
  'Loss on the Zeek hop by pod and path',
]

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

interface QueryResult {
  status: string
  error?: string
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] }
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url)
  return (await response.json()) as T
}

/** The nodes of a two-worker Zeek cluster, in the order the Zeek container gives them telemetry ports. */
const ZEEK_NODES = ['manager', 'logger-1', 'proxy-1', 'worker-1', 'worker-2'] as const
type ZeekNode = (typeof ZEEK_NODES)[number]

/**
 * The telemetry of a Zeek cluster as Zeek 8 exports it, one server per node on a free
 * loopback port: zeek_log_writer_writes_total for the ZeroMQ writer, by stream and path and
 * labelled with the node, counted on the workers (`writes(node)`); the logger, which runs
 * the writer, reports its filter-less series at 0; the manager and the proxy write nothing.
 */
async function zeekClusterTelemetry(t: TestContext, writes: (node: ZeekNode) => Map<string, number>): Promise<{ node: ZeekNode; target: string }[]> {
  return Promise.all(
    ZEEK_NODES.map(async (node) => {
      const server = createHttpServer((_request, response) => {
        const lines = ['# TYPE zeek_log_writer_writes_total counter']
        for (const [path, count] of writes(node)) {
          const stream = `${path.charAt(0).toUpperCase()}${path.slice(1)}::LOG`
          const filter = node.startsWith('logger-') ? '' : 'zeromq'
          lines.push(`zeek_log_writer_writes_total{writer="Log::WRITER_ZEROMQ",stream="${stream}",module="${stream.split('::')[0]}",path="${path}",filter_name="${filter}",node="${node}"} ${count}`)
        }
        response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`)
      })
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      t.after(() => server.close())
      return { node, target: `127.0.0.1:${(server.address() as { port: number }).port}` }
    }),
  )
}

/** The records of each path among the first `sent` of zeekMessage's stream. */
function sentByPath(sent: number): Map<string, number> {
  return new Map(ZEEK_PATHS.map((path, i) => [path, sent > i ? Math.floor((sent - i - 1) / ZEEK_PATHS.length) + 1 : 0]))
}

async function startPrometheus(t: TestContext, scrapeTarget: string, zeekTargets: { node: ZeekNode; target: string }[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'zzs-prometheus-'))
  const port = await freePort()
  const config = join(dir, 'prometheus.yml')
  writeFileSync(
    config,
    JSON.stringify({
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [RULES_FILE],
      // As the Prometheus Operator scrapes through the chart's ServiceMonitor: the target
      // labels of Kubernetes discovery (namespace, pod, and "endpoint", the port's name),
      // honor_labels off (as overrideHonorLabels forces), then the chart's relabelings.
      scrape_configs: [
        {
          job_name: 'serviceMonitor/nsm/zeek-zmq-shipper/0',
          honor_labels: false,
          static_configs: [{ targets: [scrapeTarget], labels: { namespace: 'nsm', pod: 'sensor-a', endpoint: 'http' } }],
          relabel_configs: SHIPPER_RELABELINGS.map(relabelConfig),
        },
        // One scrape endpoint per Zeek node, as the chart's ServiceMonitor has them (port zeek-<node>).
        ...zeekTargets.map(({ node, target }, i) => ({
          job_name: `serviceMonitor/nsm/zeek-zmq-shipper/${i + 1}`,
          honor_labels: false,
          static_configs: [{ targets: [target], labels: { namespace: 'nsm', pod: 'sensor-a', endpoint: `zeek-${node}` } }],
          relabel_configs: ZEEK_RELABELINGS.map(relabelConfig),
        })),
      ],
    }),
  )
  const child = spawn(
    prometheusBin!,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = once(child, 'exit')
  exited.catch(() => undefined) // a failed spawn shows in the readiness wait below
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  })
  const url = `http://127.0.0.1:${port}`
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${stderr}`)
      return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true
    },
    'prometheus to be ready',
    30_000,
    100,
  )
  return url
}

/** Publishes Zeek-shaped records at a bounded rate (and a malformed message now and then) until stopped. */
function publishLoad(t: TestContext, input: string): { stop(): void; sent(): number } {
  const pub = new Publisher({ linger: 0, sendHighWaterMark: 10_000 })
  pub.connect(input)
  let sent = 0
  let stopped = false
  let busy = false // zeromq.js allows one send in flight per socket
  const perTick = 20 // every 20 ms: about 1,000 records/s
  const deadline = Date.now() + 90_000 // bounded even if the test hangs
  const timer = setInterval(() => {
    if (stopped || Date.now() > deadline) return stop()
    if (busy) return
    busy = true
    void (async () => {
      for (let i = 0; i < perTick; i++) await pub.send(zeekMessage(sent++))
      if (sent % 500 < perTick) {
        await pub.send([Buffer.from('conn'), Buffer.from('{}'), Buffer.from('extra frame')])
        await pub.send([Buffer.from('not a path!'), Buffer.from('{}')])
      }
    })()
      .catch(() => stop())
      .finally(() => (busy = false))
  }, 20)
  function stop(): void {
    stopped = true
    clearInterval(timer)
  }
  t.after(() => {
    stop()
    pub.close()
  })
  return { stop, sent: () => sent }
}

test('Prometheus evaluates every dashboard and alert expression against a shipper under load', { skip, timeout: 120_000 }, async (t) => {
  const [httpPort, inputPort, portA, portB, portC] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()])
  const endpoints = [
    `tcp://127.0.0.1:${portA}?name=a&mode=bind`, // has a subscriber: sent and peers have data
    `tcp://127.0.0.1:${portB}?name=b&mode=bind&hwm=50`, // no subscriber: its queue fills and drops
    `tcp://127.0.0.1:${portC}?name=c&include=conn,dns&hwm=100`, // connect mode, nobody binds: filtered, queued, dropped
  ]
  const shipper = spawnCli(t, ['run'], {
    ZEEK_ZMQ_HTTP_HOST: '127.0.0.1',
    ZEEK_ZMQ_HTTP_PORT: String(httpPort),
    ZEEK_ZMQ_INPUTS: `tcp://127.0.0.1:${inputPort}`,
    ZEEK_ZMQ_ENDPOINTS: endpoints.join(' '),
    ZEEK_ZMQ_LINGER_MS: '0',
    ZEEK_ZMQ_LOG_LEVEL: 'error',
  })
  const shipperUrl = `http://127.0.0.1:${httpPort}`
  await waitFor(
    async () => {
      if (shipper.stderr().includes('invalid configuration')) throw new Error(shipper.stderr())
      return (await fetch(`${shipperUrl}/readyz`).catch(() => undefined))?.ok === true
    },
    'the shipper to be ready',
    30_000,
    50,
  )

  const sub = new Subscriber({ linger: 0 })
  sub.connect(`tcp://127.0.0.1:${portA}`)
  sub.subscribe()
  let received = 0
  void (async () => {
    for await (const _ of sub) received++
  })().catch(() => undefined)
  t.after(() => sub.close())

  let published = (): number => 0
  // The workers split each path's writes between them (conn counted twice over); the
  // logger reports zeros; the manager and the proxy nothing.
  const zeek = await zeekClusterTelemetry(t, (node) => {
    const writes = sentByPath(published())
    writes.set('conn', writes.get('conn')! * 2)
    if (node === 'manager' || node === 'proxy-1') return new Map()
    return new Map([...writes].map(([path, count]) => [path, node === 'logger-1' ? 0 : node === 'worker-1' ? Math.ceil(count / 2) : Math.floor(count / 2)]))
  })
  const prometheus = await startPrometheus(t, `127.0.0.1:${httpPort}`, zeek)
  const load = publishLoad(t, `tcp://127.0.0.1:${inputPort}`)
  published = load.sent

  const query = (expr: string): Promise<QueryResult> => getJson<QueryResult>(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`)
  const instance = `127.0.0.1:${httpPort}`
  const variables: Record<string, string> = {
    datasource: 'prometheus',
    // As Grafana writes a multi-value variable: regex-escaped values in a group.
    instance: `(${instance.replace(/\./g, '\\\\.')})`,
    endpoint: '(a|b|c)',
    namespace: '(nsm)',
    pod: '(sensor-a)',
    __rate_interval: '4s',
    __range: '1m',
  }
  const panels = dashboardExpressions(readDashboard()).map((e) => ({ ...e, expr: substitute(e.expr, variables) }))

  // Data for the core panels once Prometheus has a few scrapes of records flowing.
  for (const { source, expr, panel } of panels.filter((p) => CORE_PANELS.includes(p.panel))) {
    await waitFor(async () => (await query(expr)).data?.result.length > 0, `data for ${source} (${panel}): ${expr}`, 30_000, 250)
  }
  assert.ok(received > 0, 'the subscriber of endpoint a received records')

  // The Zeek hop: Zeek's writes, summed over the cluster's nodes, and the shipper's input,
  // different targets of one pod, are matched by pod and path, and half of the conn
  // records show as lost.
  const loss = panels.find((p) => p.panel === 'Loss on the Zeek hop by pod and path')!
  await waitFor(
    async () => {
      const series = (await query(loss.expr)).data.result
      const conn = series.find((s) => s.metric.path === 'conn' && s.metric.pod === 'sensor-a')
      return conn !== undefined && Number(conn.value[1]) > 0
    },
    `loss of conn records on the Zeek hop: ${loss.expr}`,
    30_000,
    250,
  )

  // Every expression, panels and rules alike, is valid PromQL over the real series.
  for (const { source, expr } of [...panels, ...ruleExpressions()]) {
    const result = await query(expr)
    assert.equal(result.status, 'success', `${source}: ${expr}: ${result.error}`)
  }

  // The variables' label_values() queries find the shipper and its endpoints.
  for (const variable of readDashboard().templating.list) {
    const lv = labelValuesQuery(variable)
    if (lv === undefined) continue
    const url = `${prometheus}/api/v1/label/${lv.label}/values?match[]=${encodeURIComponent(substitute(lv.selector, variables))}`
    const values = (await getJson<{ data: string[] }>(url)).data
    assert.ok(values.length > 0, `variable ${variable.name}: ${lv.selector} finds no ${lv.label}`)
  }

  // Prometheus loaded the rule file and evaluates every rule without error; the alerts that
  // this load must raise are firing (or pending, for those with a hold time).
  await waitFor(
    async () => {
      const rules = (await getJson<{ data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } }>(`${prometheus}/api/v1/rules`)).data.groups.flatMap((g) => g.rules)
      const bad = rules.filter((rule) => rule.health !== 'ok')
      if (bad.some((rule) => rule.health === 'err')) throw new Error(`rules failing: ${JSON.stringify(bad)}`)
      return rules.length === readRules().length && bad.length === 0
    },
    'every rule to be evaluated',
    20_000,
    250,
  )
  const expected = [
    { alertname: 'ZeekZmqShipperRecordsDropped', endpoint: 'b', state: 'pending' },
    { alertname: 'ZeekZmqShipperRecordsDroppedCritical', endpoint: 'b', state: 'pending' },
    { alertname: 'ZeekZmqShipperRecordsDropped', endpoint: 'c', state: 'pending' },
    { alertname: 'ZeekZmqShipperInputRejected', reason: 'frame_count', state: 'firing' },
    { alertname: 'ZeekZmqShipperQueueNearlyFull', endpoint: 'b', state: 'pending' },
    { alertname: 'ZeekZmqShipperEndpointWithoutPeers', endpoint: 'b', state: 'pending' },
    { alertname: 'ZeekZmqShipperEndpointWithoutPeers', endpoint: 'c', state: 'pending' },
    { alertname: 'ZeekZmqShipperZeekRecordsLost', namespace: 'nsm', pod: 'sensor-a', path: 'conn', state: 'pending' },
  ]
  await waitFor(
    async () => {
      const alerts = (await getJson<{ data: { alerts: { labels: Record<string, string>; state: string }[] } }>(`${prometheus}/api/v1/alerts`)).data.alerts
      return expected.every(({ state, ...labels }) =>
        alerts.some((alert) => alert.state === state && Object.entries(labels).every(([k, v]) => alert.labels[k] === v)),
      )
    },
    `the alerts ${JSON.stringify(expected)}`,
    20_000,
    250,
  )
  // Half of conn lost is what the nodes' sum shows; each worker alone wrote as many conn
  // records as the shipper received, which would show none.
  await waitFor(
    async () => {
      const alerts = (await getJson<{ data: { alerts: { labels: Record<string, string>; value: string }[] } }>(`${prometheus}/api/v1/alerts`)).data.alerts
      const lost = alerts.find((alert) => alert.labels.alertname === 'ZeekZmqShipperZeekRecordsLost' && alert.labels.path === 'conn')
      return lost !== undefined && Math.abs(Number(lost.value) - 0.5) < 0.1
    },
    'ZeekZmqShipperZeekRecordsLost to count half of the conn records lost, summed over the Zeek nodes',
    30_000,
    250,
  )
  const alerts = (await getJson<{ data: { alerts: { labels: Record<string, string> }[] } }>(`${prometheus}/api/v1/alerts`)).data.alerts
  const aWithoutPeers = alerts.filter((alert) => alert.labels.endpoint === 'a' && alert.labels.alertname === 'ZeekZmqShipperEndpointWithoutPeers')
  assert.deepEqual(aWithoutPeers, [], 'endpoint a has a subscriber')
  load.stop()

  // Every metric name used exists in the shipper's own /metrics (Zeek's and Prometheus's aside).
  const exposition = await (await fetch(`${shipperUrl}/metrics`)).text()
  const exported = new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!))
  for (const metric of SHIPPER_METRICS) assert.ok(exported.has(metric.name), `/metrics lacks ${metric.name}`)
  for (const { source, expr } of [...panels, ...ruleExpressions()]) {
    for (const name of metricNames(expr)) {
      if (ZEEK_METRICS.has(name) || PROMETHEUS_METRICS.has(name)) continue
      assert.ok(exported.has(name), `${source} uses ${name}, which the shipper's /metrics does not export`)
    }
  }
  assert.ok(load.sent() > 0)
})
