// Where a helm binary exists (on PATH, or named by HELM_BIN): helm lint and helm template on
// values.yaml and every ci/ scenario, with the rendered objects checked against the values
// they came from, and kubeconform on them where it is installed.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { parse, parseAllDocuments } from 'yaml'
import { CHART_DIR, findExecutable, scenarios, shipperConfig, SOCKET_DIR, type ShipperValues, type Values } from './chart.ts'

const helm = findExecutable('helm', 'HELM_BIN')
const kubeconform = findExecutable('kubeconform', 'KUBECONFORM_BIN')
const skip = helm === undefined ? 'no helm binary on PATH (nor HELM_BIN): helm lint and helm template cannot run here' : false

interface K8sObject {
  kind: string
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  [key: string]: unknown
}
interface Container {
  name: string
  restartPolicy?: string
  env?: { name: string; value: string }[]
  ports?: { name: string; containerPort: number }[]
  securityContext: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] } }
  startupProbe?: { httpGet: { path: string } }
  livenessProbe?: { httpGet: { path: string } }
  readinessProbe?: { httpGet: { path: string } }
  resources?: unknown
  volumeMounts?: { name: string; mountPath: string }[]
}
interface PodSpec {
  hostNetwork?: boolean
  terminationGracePeriodSeconds: number
  initContainers?: Container[]
  containers: Container[]
  volumes: { name: string; configMap?: { name: string }; emptyDir?: unknown }[]
}

function run(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(helm!, args, { encoding: 'utf8', input, timeout: 60_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

function valuesArgs(name: string): string[] {
  return name === 'values.yaml' ? [] : ['-f', join(CHART_DIR, name)]
}

function render(name: string): K8sObject[] {
  const { status, stdout, stderr } = run(['template', 'zeek-zmq-shipper', CHART_DIR, '--namespace', 'sensors', ...valuesArgs(name)])
  assert.equal(status, 0, stderr)
  return parseAllDocuments(stdout)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null)
}

function only(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((object) => object.kind === kind)
  assert.equal(found.length, 1, `one ${kind}`)
  return found[0]!
}

test('helm lint passes on values.yaml and every ci/ scenario', { skip }, () => {
  for (const { name } of scenarios()) {
    const { status, stdout, stderr } = run(['lint', CHART_DIR, '--strict', ...valuesArgs(name)])
    assert.equal(status, 0, `${name}:\n${stdout}${stderr}`)
  }
})

test("helm refuses values that break the chart's schema", { skip }, () => {
  const { status, stderr } = run(['template', 'zeek-zmq-shipper', CHART_DIR, '--set', 'hwn=100'])
  assert.notEqual(status, 0)
  assert.match(stderr, /hwn/)
})

for (const { name, values } of scenarios()) {
  test(`helm template on ${name} renders what its values say`, { skip }, () => {
    const v = values as unknown as ShipperValues & Values
    const objects = render(name)
    for (const object of objects) {
      assert.ok(object.metadata.name.length <= 63, `${object.kind} ${object.metadata.name} is longer than 63`)
      assert.ok(object.metadata.labels?.['app.kubernetes.io/name'], `${object.kind} has the standard labels`)
    }

    // The config file is the shipper settings that the tests feed to the shipper's loader.
    const configMap = only(objects.filter((o) => !o.metadata.name.endsWith('-dashboards')), 'ConfigMap') as K8sObject & { data: Record<string, string> }
    assert.deepEqual(JSON.parse(configMap.data['config.json']!), JSON.parse(JSON.stringify(shipperConfig(values))))

    const workload = only(objects, v.mode === 'sensor' ? 'DaemonSet' : 'Deployment') as K8sObject & {
      spec: { template: { metadata: { annotations: Record<string, string> }; spec: PodSpec } }
    }
    assert.equal(objects.filter((o) => o.kind === 'DaemonSet' || o.kind === 'Deployment').length, 1)
    assert.match(workload.spec.template.metadata.annotations['checksum/config']!, /^[0-9a-f]{64}$/)
    const pod = workload.spec.template.spec

    const shipper = (v.mode === 'sensor' ? pod.initContainers : pod.containers)?.find((c) => c.name === 'shipper')
    assert.ok(shipper, 'the shipper container')
    if (v.mode === 'sensor') assert.equal(shipper.restartPolicy, 'Always', 'the shipper is a native sidecar')
    assert.deepEqual(
      { ...shipper.securityContext, capabilities: shipper.securityContext.capabilities },
      {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
    )
    assert.equal(shipper.livenessProbe?.httpGet.path, '/livez')
    assert.equal(shipper.readinessProbe?.httpGet.path, '/readyz')
    assert.equal(shipper.startupProbe?.httpGet.path, '/readyz')
    assert.ok(shipper.resources, 'the shipper has resources')
    const configMount = shipper.volumeMounts?.find((m) => m.name === 'config')
    assert.equal(shipper.env?.find((e) => e.name === 'ZEEK_ZMQ_CONFIG')?.value, `${configMount?.mountPath}/config.json`)
    assert.equal(pod.volumes.find((vol) => vol.name === 'config')?.configMap?.name, configMap.metadata.name)
    assert.equal(shipper.ports?.find((p) => p.name === 'http')?.containerPort, v.httpPort)

    const lingers = [v.linger, ...v.endpoints.map((e) => e.linger ?? 0)]
    const zeekValues = values.zeek as { interface: string; writerLingerMs: number }
    const shutdownMs = Math.max(...lingers) + (v.mode === 'sensor' ? zeekValues.writerLingerMs : 0)
    assert.ok(pod.terminationGracePeriodSeconds * 1000 > shutdownMs, `grace ${pod.terminationGracePeriodSeconds}s against ${shutdownMs} ms of linger`)

    if (v.mode === 'sensor') {
      assert.equal(pod.hostNetwork, true)
      const zeek = pod.containers.find((c) => c.name === 'zeek')
      assert.ok(zeek, 'the Zeek container')
      assert.deepEqual(zeek.securityContext.capabilities, { drop: ['ALL'], add: ['NET_RAW', 'NET_ADMIN'] })
      assert.equal(zeek.env?.find((e) => e.name === 'ZEEK_INTERFACE')?.value, zeekValues.interface)
      const inputs = shipperConfig(values).inputs as string[]
      assert.deepEqual([zeek.env?.find((e) => e.name === 'ZEEK_ZMQ_WRITER_ENDPOINT')?.value], inputs, "Zeek's writer connects to the shipper's input")
      for (const container of [shipper, zeek]) assert.equal(container.volumeMounts?.find((m) => m.name === 'socket')?.mountPath, SOCKET_DIR)
      assert.ok(pod.volumes.find((vol) => vol.name === 'socket')?.emptyDir, 'the socket directory is an emptyDir')
    }

    const service = only(objects, 'Service') as K8sObject & { spec: { ports: { name: string; port: number }[] } }
    const servicePorts = service.spec.ports.map((p) => p.port)
    assert.ok(servicePorts.includes(v.httpPort))
    for (const endpoint of v.endpoints.filter((e) => e.mode === 'bind' && e.address.startsWith('tcp://'))) {
      assert.ok(servicePorts.includes(Number(/(\d+)$/.exec(endpoint.address)![1])), `the Service exposes ${endpoint.name}`)
    }
    if (v.mode === 'relay') assert.ok(servicePorts.includes(v.relay.inputPort), 'the Service exposes the relay input')

    const enabled = (key: string): boolean => (values[key] as { enabled: boolean }).enabled
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor') as (K8sObject & { spec: { endpoints: { port: string; honorLabels?: boolean }[] } }) | undefined
    assert.equal(monitor !== undefined, enabled('serviceMonitor'))
    if (monitor !== undefined) {
      // Else the operator's target label "endpoint" would replace the metrics' own.
      assert.equal(monitor.spec.endpoints.find((e) => e.port === 'http')?.honorLabels, true)
    }
    const rule = objects.find((o) => o.kind === 'PrometheusRule') as (K8sObject & { spec: { groups: unknown } }) | undefined
    assert.equal(rule !== undefined, enabled('prometheusRule'))
    if (rule !== undefined) {
      const file = parse(readFileSync(join(CHART_DIR, 'rules', 'alerts.yml'), 'utf8')) as { groups: unknown }
      assert.deepEqual(rule.spec.groups, file.groups, 'the PrometheusRule is rules/alerts.yml')
    }
    const dashboards = objects.find((o) => o.metadata.name.endsWith('-dashboards')) as (K8sObject & { data: Record<string, string> }) | undefined
    assert.equal(dashboards !== undefined, enabled('dashboards'))
    if (dashboards !== undefined) {
      assert.equal(dashboards.metadata.labels?.grafana_dashboard, '1')
      const file = readFileSync(join(CHART_DIR, 'dashboards', 'zeek-zmq-shipper.json'), 'utf8')
      assert.deepEqual(JSON.parse(dashboards.data['zeek-zmq-shipper.json']!), JSON.parse(file))
    }
    const hooks = objects.filter((o) => o.metadata.annotations?.['helm.sh/hook'] === 'test')
    assert.equal(hooks.length, enabled('tests') ? 1 : 0)

    if (kubeconform !== undefined) {
      const { stdout } = run(['template', 'zeek-zmq-shipper', CHART_DIR, ...valuesArgs(name)])
      const check = spawnSync(kubeconform, ['-strict', '-summary', '-ignore-missing-schemas'], { input: stdout, encoding: 'utf8', timeout: 60_000 })
      assert.equal(check.status, 0, `${check.stdout}${check.stderr}`)
    }
  })
}
