// Zeek as a cluster in sensor mode (zeek.workers above 1): the values become the Zeek
// container's variables; every node's telemetry port is a container port, a metrics
// Service port and a scrape endpoint; the chart refuses what the Zeek container refuses and
// ports that collide on the node; requests and limits grow per worker; the grace period
// covers the cluster's ordered stop. Last, the Zeek container's own scripts run with the
// environment the chart renders (a stand-in zeek that only waits) and lay the cluster out
// on exactly the ports the chart exposes and guards.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { waitFor } from '../helpers/sockets.ts'
import { ZEEK_RELABELINGS } from '../monitoring/promql.ts'
import { expandVariables, ROOT, scenarios, type Values } from './chart.ts'
import { containersOf, envValue, only, render, skipWithoutHelm as skip, template, workloadOf, type Container, type K8sObject, type Service } from './render.ts'

const CLUSTER = 'ci/cluster-sensor-values.yaml'

interface ZeekValues {
  interface: string
  workers: number
  loggers: number
  workerCpus: number[]
  afPacketBufferMiB: number
  afPacketFanoutId: number
  clusterPort: number
  clusterStopSeconds: number
  telemetryPort: number
  writerLingerMs: number
  excludedLogIds: string[]
  perWorker: { cpu: number; memoryMiB: number }
  resources: { requests?: Record<string, string | number>; limits?: Record<string, string | number> }
}

const zeekValues = (values: Values): ZeekValues => values.zeek as ZeekValues
const scenario = (name: string): Values => scenarios().find((s) => s.name === name)!.values

/** The cluster's nodes in the Zeek container's order (zeek/cluster.sh): manager, loggers, proxy, workers. */
function clusterNodes(zeek: ZeekValues): string[] {
  if (zeek.workers === 1) return []
  const numbered = (kind: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${kind}-${i + 1}`)
  return ['manager', ...numbered('logger', zeek.loggers), 'proxy-1', ...numbered('worker', zeek.workers)]
}

/** Zeek's telemetry ports as the chart should name and number them. */
function telemetryPorts(zeek: ZeekValues): { name: string; containerPort: number }[] {
  if (zeek.telemetryPort === 0) return []
  const nodes = clusterNodes(zeek)
  if (nodes.length === 0) return [{ name: 'zeek-telemetry', containerPort: zeek.telemetryPort }]
  return nodes.map((node, i) => ({ name: `zeek-${node}`, containerPort: zeek.telemetryPort + i }))
}

const ports = (container: Container): { name: string; containerPort: number }[] => (container.ports ?? []).map(({ name, containerPort }) => ({ name, containerPort }))

for (const { name, values } of scenarios().filter((s) => s.values.mode === 'sensor')) {
  test(`${name}: the Zeek container gets the cluster settings, and every node's telemetry is exposed and scraped`, { skip }, () => {
    const zeek = zeekValues(values)
    const objects = render(name)
    const container = containersOf(workloadOf(objects)).zeek!
    const expectedEnv: Record<string, string> = {
      ZEEK_WORKERS: String(zeek.workers),
      ZEEK_LOGGERS: String(zeek.loggers),
      ZEEK_WORKER_CPUS: zeek.workerCpus.join(','),
      ZEEK_AF_PACKET_BUFFER_MB: String(zeek.afPacketBufferMiB),
      ZEEK_AF_PACKET_FANOUT_ID: String(zeek.afPacketFanoutId),
      ZEEK_CLUSTER_PORT: String(zeek.clusterPort),
      ZEEK_TELEMETRY_PORT: String(zeek.telemetryPort),
      ZEEK_EXCLUDED_LOG_IDS: zeek.excludedLogIds.join(','),
    }
    for (const [variable, value] of Object.entries(expectedEnv)) assert.equal(envValue(container, variable), value, variable)

    const expected = telemetryPorts(zeek)
    assert.deepEqual(ports(container), expected, "the Zeek container's ports")
    if (expected.length > 0) assert.equal(container.livenessProbe?.httpGet?.port, expected[0]!.name, 'liveness on the first (the manager\'s) telemetry port')
    const metrics = only<Service>(objects, 'Service', objects.find((o) => o.metadata.name.endsWith('-metrics'))!.metadata.name)
    const servicePorts = metrics.spec.ports as { name: string; port: number; targetPort: string }[]
    assert.deepEqual(
      servicePorts.filter((p) => p.name !== 'http').map(({ name, port, targetPort }) => ({ name, port, targetPort })),
      expected.map(({ name, containerPort }) => ({ name, port: containerPort, targetPort: name })),
      'the metrics Service ports',
    )
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor') as (K8sObject & { spec: { endpoints: { port: string; relabelings: unknown }[] } }) | undefined
    if (monitor !== undefined) {
      assert.deepEqual(monitor.spec.endpoints.map((e) => e.port), ['http', ...expected.map((p) => p.name)], 'the ServiceMonitor scrapes every node')
      for (const endpoint of monitor.spec.endpoints.slice(1)) assert.deepEqual(endpoint.relabelings, ZEEK_RELABELINGS, `${endpoint.port} is job zeek`)
    }
  })
}

test('the cluster scenario runs four workers pinned to CPUs 2-5 with two loggers, and scrapes all eight nodes', { skip }, () => {
  const zeek = containersOf(workloadOf(render(CLUSTER))).zeek!
  assert.equal(envValue(zeek, 'ZEEK_WORKERS'), '4')
  assert.equal(envValue(zeek, 'ZEEK_WORKER_CPUS'), '2,3,4,5')
  assert.deepEqual(
    ports(zeek).map((p) => `${p.name}:${p.containerPort}`),
    ['zeek-manager:9300', 'zeek-logger-1:9301', 'zeek-logger-2:9302', 'zeek-proxy-1:9303', 'zeek-worker-1:9304', 'zeek-worker-2:9305', 'zeek-worker-3:9306', 'zeek-worker-4:9307'],
  )
})

test("Zeek's bookkeeping streams are left out by default; an empty zeek.excludedLogIds sends everything", { skip }, () => {
  const plain = containersOf(workloadOf(render('values.yaml'))).zeek!
  assert.equal(envValue(plain, 'ZEEK_EXCLUDED_LOG_IDS'), 'LoadedScripts::LOG,Telemetry::LOG,Telemetry::LOG_HISTOGRAM')
  const everything = containersOf(workloadOf(render('values.yaml', { zeek: { excludedLogIds: [] } }))).zeek!
  assert.equal(envValue(everything, 'ZEEK_EXCLUDED_LOG_IDS'), '', 'rendered, and empty: the container then excludes nothing')
})

test('the largest cluster (256 workers, 16 loggers) renders valid port names, each at most 15 characters', { skip }, () => {
  const objects = render('values.yaml', { zeek: { workers: 256, loggers: 16 } })
  const names = ports(containersOf(workloadOf(objects)).zeek!).map((p) => p.name)
  assert.equal(names.length, 2 + 16 + 256)
  assert.equal(new Set(names).size, names.length, 'unique')
  // Kubernetes' IANA_SVC_NAME: lower-case letters, digits and single inner hyphens, 1-15 characters.
  for (const portName of names) assert.match(portName, /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/, portName)
  assert.equal(names.at(-1), 'zeek-worker-256')
})

const REFUSALS: { what: string; scenario: string; values: Values; message: RegExp }[] = [
  { what: 'fewer worker CPUs than workers', scenario: CLUSTER, values: { zeek: { workerCpus: [2, 3] } }, message: /zeek\.workerCpus names 2 CPUs for zeek\.workers 4: give one CPU per worker/ },
  { what: 'more than one logger without a cluster', scenario: 'values.yaml', values: { zeek: { loggers: 2 } }, message: /zeek\.loggers is 2: more than one logger needs a cluster, zeek\.workers above 1/ },
  { what: 'worker CPUs without a cluster', scenario: 'values.yaml', values: { zeek: { workerCpus: [2] } }, message: /zeek\.workerCpus pins a cluster's workers: it applies with zeek\.workers above 1/ },
  { what: 'telemetry ports beyond 65535', scenario: CLUSTER, values: { zeek: { telemetryPort: 65530 } }, message: /zeek\.telemetryPort 65530 gives Zeek's 8 cluster nodes the ports up to 65537, beyond 65535/ },
  { what: "a worker's telemetry port on httpPort", scenario: CLUSTER, values: { zeek: { telemetryPort: 8075 } }, message: /the telemetry port of Zeek's worker-2 \(zeek\.telemetryPort \+ 5\) 8080 is also httpPort/ },
  {
    what: 'a bind endpoint on a cluster port',
    scenario: CLUSTER,
    values: { zeek: { clusterPort: 5555 } },
    message: /the port of endpoint "default" \(5556\) is also the cluster port of Zeek's logger-1 \(zeek\.clusterPort \+ 1\)/,
  },
  { what: "a cluster port on a node's telemetry port", scenario: CLUSTER, values: { zeek: { clusterPort: 9302 } }, message: /zeek\.clusterPort 9302 is also the telemetry port of Zeek's logger-2 \(zeek\.telemetryPort \+ 2\)/ },
  { what: 'a CPU quantity the chart cannot add to', scenario: CLUSTER, values: { zeek: { resources: { requests: { cpu: '2k' } } } }, message: /zeek\.resources\.requests\.cpu is "2k": to add the workers' share to it the chart reads cores or millicores/ },
]

for (const { what, scenario: name, values, message } of REFUSALS) {
  test(`helm template refuses ${what}, saying what to change`, { skip }, () => {
    const { status, stderr } = template(name, values)
    assert.notEqual(status, 0, `rendered: ${JSON.stringify(values)}`)
    assert.match(stderr, message)
  })
}

test('a single Zeek process leaves the cluster ports free: a bind endpoint may use them', { skip }, () => {
  assert.equal(template('values.yaml', { endpoints: [{ name: 'a', address: 'tcp://$(NODE_IP):27761', mode: 'bind' }] }).status, 0)
})

test("requests and limits: zeek.resources as given for one process; in a cluster each worker adds perWorker and its AF_PACKET ring", { skip }, () => {
  for (const name of ['values.yaml', 'ci/sensor-values.yaml']) {
    const zeek = zeekValues(scenario(name))
    const container = containersOf(workloadOf(render(name))).zeek!
    const { 'ephemeral-storage': _, ...requests } = container.resources!.requests!
    assert.deepEqual({ requests, limits: container.resources!.limits }, zeek.resources, name)
  }
  // ci/cluster-sensor-values.yaml: 4 workers, each 1500m and 1536 + 256 MiB, over 1.5 cores, 1Gi, a 12-core and a 3Gi limit.
  const cluster = containersOf(workloadOf(render(CLUSTER))).zeek!
  assert.deepEqual(cluster.resources, { requests: { cpu: '7500m', memory: '8192Mi' }, limits: { cpu: '18000m', memory: '10240Mi' } })
  // The chart README's example: four workers with the default values.
  const four = containersOf(workloadOf(render('values.yaml', { zeek: { workers: 4 } }))).zeek!
  assert.deepEqual(four.resources, { requests: { cpu: '4500m', memory: '5120Mi' }, limits: { memory: '6656Mi' } })
  // Decimal units round up to whole MiB; requests that are not given start from nothing; a limit not given stays unset.
  const decimal = containersOf(workloadOf(render('values.yaml', { zeek: { workers: 2, afPacketBufferMiB: 28, perWorker: { cpu: 1000, memoryMiB: 100 }, resources: { requests: { cpu: '0.25', memory: '1G' }, limits: { memory: 2000000000 } } } }))).zeek!
  assert.deepEqual(decimal.resources, { requests: { cpu: '2250m', memory: '1210Mi' }, limits: { memory: '2164Mi' } })
  const bare = containersOf(workloadOf(render('values.yaml', { zeek: { workers: 3, resources: { requests: null } } }))).zeek!
  assert.deepEqual(bare.resources, { requests: { cpu: '3000m', memory: '3456Mi' }, limits: { memory: '5504Mi' } })
})

/** The chart's grace period, as _helpers.tpl and the chart README state it. */
function gracePeriod(values: Values): number {
  const lingers = [values.linger as number, ...(values.endpoints as { linger?: number }[]).map((e) => e.linger ?? 0)]
  const zeek = zeekValues(values)
  const sensor = values.mode === 'sensor'
  const lingerMs = Math.max(...lingers) + (sensor ? zeek.writerLingerMs : 0)
  return Math.ceil(lingerMs / 1000) + (sensor && zeek.workers > 1 ? zeek.clusterStopSeconds : 0) + (values.terminationGraceMarginSeconds as number)
}

test('terminationGracePeriodSeconds is ceil((largest linger + Zeek writer linger) / 1000) + zeek.clusterStopSeconds in a cluster + the margin', { skip }, () => {
  for (const { name, values } of scenarios()) {
    assert.equal(workloadOf(render(name)).spec.template.spec.terminationGracePeriodSeconds, gracePeriod(values), name)
  }
  // ci/cluster-sensor-values.yaml: 3 s of endpoint linger + 3 s of writer linger, 15 s for the cluster's stop, 10 s of margin.
  assert.equal(workloadOf(render(CLUSTER)).spec.template.spec.terminationGracePeriodSeconds, 31)
  assert.equal(workloadOf(render('values.yaml', { zeek: { workers: 2, clusterStopSeconds: 0 } })).spec.template.spec.terminationGracePeriodSeconds, 16)
  assert.equal(workloadOf(render('ci/relay-values.yaml', { zeek: { workers: 4 } })).spec.template.spec.terminationGracePeriodSeconds, gracePeriod(scenario('ci/relay-values.yaml')), 'a relay runs no Zeek')
})

/** A directory of executables standing in for what the Zeek image has besides its own scripts. */
function standIns(dir: string): void {
  const write = (name: string, body: string): void => {
    writeFileSync(join(dir, name), `#!/usr/bin/env bash\n${body}\n`)
    chmodSync(join(dir, name), 0o755)
  }
  // zeek: passes the settings check; as a node, notes how it was started and waits for its signal.
  write('zeek', `[[ \${1:-} == --parse-only ]] && exit 0\nprintf '%s|%s\\n' "\${CLUSTER_NODE:-}" "$*" >>"$STAND_IN_LOG"\nsleep 300 &\nnap=$!\n# Its sleep goes too: it holds the test's stderr pipe, and the test file would wait for it.\ntrap 'kill $nap 2>/dev/null; exit 0' TERM INT\nwait $nap`)
  write('zeek-config', 'echo /stand-in/zeekpath')
  // taskset -c CPU COMMAND...: notes the pinning and runs the command.
  write('taskset', `printf '%s|pinned %s\\n' "$CLUSTER_NODE" "$2" >>"$STAND_IN_LOG"\nshift 2\nexec "$@"`)
}

/** The Zeek container's entrypoint (with render-settings.sh and cluster.sh) run with the Zeek container's rendered environment. */
async function runEntrypoint(t: TestContext, container: Container): Promise<{ dir: string; started: () => string[]; stop: () => Promise<number | null> }> {
  const dir = mkdtempSync(join(tmpdir(), 'zzs-zeek-entrypoint-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  standIns(bin)
  // The image installs the scripts executable; in the repository cluster.sh need not be.
  for (const [from, to] of [['entrypoint.sh', 'zeek-entrypoint'], ['render-settings.sh', 'render-settings.sh'], ['cluster.sh', 'cluster.sh']]) {
    copyFileSync(join(ROOT, 'zeek', from!), join(bin, to!))
    chmodSync(join(bin, to!), 0o755)
  }
  const env: Record<string, string> = {}
  for (const variable of container.env ?? []) if (variable.value !== undefined) env[variable.name] = expandVariables(variable.value, { ...env, NODE_IP: '127.0.0.1', POD_IP: '127.0.0.1' })
  Object.assign(env, {
    PATH: [bin, process.env.PATH ?? '/usr/bin:/bin'].join(delimiter),
    ZEEK_SHIPPER_WAIT_S: '0', // no shipper here
    ZEEK_SETTINGS_DIR: join(dir, 'settings'),
    ZEEK_LOG_DIR: join(dir, 'logs'),
    STAND_IN_LOG: join(dir, 'started.log'),
  })
  const child = spawn(join(bin, 'zeek-entrypoint'), [], { env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = once(child, 'exit')
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const started = (): string[] => (existsSync(env.STAND_IN_LOG!) ? readFileSync(env.STAND_IN_LOG!, 'utf8').trim().split('\n') : [])
  const stop = async (): Promise<number | null> => {
    child.kill('SIGTERM')
    const [code] = (await exited) as [number | null]
    assert.equal(code, 0, stderr)
    return code
  }
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`the entrypoint exited ${child.exitCode}:\n${stderr}`)
    return started().length > 0
  }, 'the entrypoint to start zeek', 20_000, 50)
  return { dir, started, stop }
}

test("the Zeek container's scripts, run with the chart's environment, put every node's telemetry on the port the chart exposes, and its cluster ports on ports the chart guards", { skip, timeout: 120_000 }, async (t) => {
  const values = zeekValues(scenario(CLUSTER))
  const container = containersOf(workloadOf(render(CLUSTER))).zeek!
  const nodes = clusterNodes(values)
  const run = await runEntrypoint(t, container)
  await waitFor(async () => run.started().filter((line) => !line.includes('|pinned ')).length === nodes.length, 'every node to start', 20_000, 50)

  // The layout cluster.sh wrote for Zeek: each node's cluster port and metrics port.
  const layout = readFileSync(join(run.dir, 'settings', 'cluster-layout.zeek'), 'utf8')
  const laidOut = [...layout.matchAll(/^\t\["([\w-]+)"\] = (.*)$/gm)].map(([, node, entry]) => ({
    node: node!,
    port: Number(/\$p=(\d+)\/tcp/.exec(entry!)?.[1] ?? 0),
    metrics: Number(/\$metrics_port=(\d+)\/tcp/.exec(entry!)?.[1] ?? 0),
  }))
  assert.deepEqual(laidOut.map((n) => n.node), nodes, "the nodes, in the chart's order")
  assert.deepEqual(
    laidOut.map((n) => ({ name: `zeek-${n.node}`, containerPort: n.metrics })),
    ports(container),
    "each node's telemetry port is the container port the chart names after it",
  )
  for (const { node, port } of laidOut.filter((n) => n.port !== 0)) {
    const { status, stderr } = template(CLUSTER, { endpoints: [{ name: 'probe', address: `tcp://$(NODE_IP):${port}`, mode: 'bind' }] })
    assert.notEqual(status, 0, `a bind endpoint on ${node}'s cluster port ${port} is let through`)
    assert.match(stderr, new RegExp(`\\(${port}\\) is also .*${node === 'manager' ? 'zeek\\.clusterPort' : node}`))
  }

  // The workers capture with the chart's ring size and fan-out group, pinned to the chart's CPUs.
  const started = run.started()
  values.workerCpus.forEach((cpu, i) => {
    const worker = `worker-${i + 1}`
    assert.ok(started.includes(`${worker}|pinned ${cpu}`), `${worker} pinned to CPU ${cpu}: ${started.join('; ')}`)
    const args = started.find((line) => line.startsWith(`${worker}|-C`))!
    assert.match(args, new RegExp(`-i af_packet::${values.interface} AF_Packet::buffer_size=${values.afPacketBufferMiB * 1024 * 1024} AF_Packet::fanout_id=${values.afPacketFanoutId} `))
  })
  await run.stop()
})

test("the Zeek container's scripts, run with the chart's default environment, run one Zeek that leaves out the bookkeeping streams", { skip, timeout: 60_000 }, async (t) => {
  const run = await runEntrypoint(t, containersOf(workloadOf(render('values.yaml'))).zeek!)
  assert.match(run.started()[0]!, /^\|-C -i eth0 /, 'one zeek process on the interface, no cluster')
  const settings = readFileSync(join(run.dir, 'settings', 'settings.zeek'), 'utf8')
  for (const id of ['LoadedScripts::LOG', 'Telemetry::LOG', 'Telemetry::LOG_HISTOGRAM']) assert.match(settings, new RegExp(`excluded_log_ids \\+= \\{ ${id} \\}`), id)
  await run.stop()
})
