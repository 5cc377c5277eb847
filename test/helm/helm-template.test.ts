// Where a helm binary exists (on PATH, or named by HELM_BIN): helm lint and helm template on
// values.yaml and every ci/ scenario, with the rendered objects checked against the values
// they came from.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'
import { CHART_DIR, scenarios, shipperSettings, SOCKET_DIR, type ShipperValues, type Values } from './chart.ts'
import { containersOf, envValue, only, render, runHelm, shipperConfigOf, skipWithoutHelm as skip, template, valuesArgs, workloadOf, type K8sObject, type Service } from './render.ts'

test('helm lint --strict passes on values.yaml and every ci/ scenario', { skip }, () => {
  for (const { name } of scenarios()) {
    const { args, cleanup } = valuesArgs(name)
    try {
      const { status, stdout, stderr } = runHelm(['lint', CHART_DIR, '--strict', ...args])
      assert.equal(status, 0, `${name}:\n${stdout}${stderr}`)
    } finally {
      cleanup()
    }
  }
})

test("helm refuses values that break the chart's schema", { skip }, () => {
  const { status, stderr } = template('values.yaml', { hwn: 100 })
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

    // The config file and the addresses in the environment are the shipper settings that
    // the tests feed to the shipper's loader.
    const settings = shipperSettings(values)
    const configMap = only(objects.filter((o) => !o.metadata.name.endsWith('-dashboards')), 'ConfigMap') as K8sObject & { data: Record<string, string> }
    assert.deepEqual(shipperConfigOf(objects), JSON.parse(JSON.stringify(settings.file)))

    const workload = workloadOf(objects)
    assert.equal(workload.kind, v.mode === 'sensor' ? 'DaemonSet' : 'Deployment')
    assert.match(workload.spec.template.metadata.annotations['checksum/config']!, /^[0-9a-f]{64}$/)
    const pod = workload.spec.template.spec
    const { shipper, zeek } = containersOf(workload)
    for (const [variable, value] of Object.entries(settings.env)) assert.equal(envValue(shipper, variable), value, variable)
    const names = shipper.env!.map((e) => e.name)
    for (const variable of ['NODE_IP', 'POD_IP']) {
      assert.ok(names.indexOf(variable) < names.indexOf('ZEEK_ZMQ_INPUTS'), `${variable} comes before the variables that use it`)
    }
    assert.ok(!names.includes('ZEEK_ZMQ_ENDPOINTS'), 'the endpoints are in the file, where a reload finds them (a variable would win over it)')

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
    assert.equal(shipper.livenessProbe?.httpGet?.path, '/livez')
    assert.equal(shipper.readinessProbe?.httpGet?.path, '/readyz')
    assert.equal(shipper.startupProbe?.httpGet?.path, '/readyz')
    const probeValues = (values.shipper as Record<string, Record<string, unknown>>)
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) {
      for (const [field, value] of Object.entries(probeValues[probe]!)) assert.equal(shipper[probe]![field], value, `shipper ${probe}.${field}`)
    }
    assert.ok(shipper.resources, 'the shipper has resources')
    const configMount = shipper.volumeMounts?.find((m) => m.name === 'config')
    assert.equal(envValue(shipper, 'ZEEK_ZMQ_CONFIG'), `${configMount?.mountPath}/config.json`)
    assert.equal(pod.volumes.find((vol) => vol.name === 'config')?.configMap?.name, configMap.metadata.name)
    assert.equal(shipper.ports?.find((p) => p.name === 'http')?.containerPort, v.httpPort)

    const lingers = [v.linger, ...v.endpoints.map((e) => e.linger ?? 0)]
    const zeekValues = values.zeek as { interface: string; writerLingerMs: number }
    const shutdownMs = Math.max(...lingers) + (v.mode === 'sensor' ? zeekValues.writerLingerMs : 0)
    assert.ok(pod.terminationGracePeriodSeconds * 1000 > shutdownMs, `grace ${pod.terminationGracePeriodSeconds}s against ${shutdownMs} ms of linger`)

    const extra = (values.extraContainers as { name: string }[]).map((c) => c.name)
    assert.deepEqual(pod.containers.map((c) => c.name).filter((n) => n !== 'zeek' && n !== 'shipper'), extra, 'the extra containers')

    if (v.mode === 'sensor') {
      assert.equal(pod.hostNetwork, true)
      assert.ok(zeek, 'the Zeek container')
      assert.deepEqual(zeek.securityContext.capabilities, { drop: ['ALL'], add: ['NET_RAW', 'NET_ADMIN'] })
      assert.equal(envValue(zeek, 'ZEEK_INTERFACE'), zeekValues.interface)
      assert.equal(envValue(zeek, 'ZEEK_ZMQ_WRITER_ENDPOINT'), settings.env.ZEEK_ZMQ_INPUTS, "Zeek's writer connects to the shipper's input")
      for (const container of [shipper, zeek]) assert.equal(container.volumeMounts?.find((m) => m.name === 'socket')?.mountPath, SOCKET_DIR)
      assert.ok(pod.volumes.find((vol) => vol.name === 'socket')?.emptyDir, 'the socket directory is an emptyDir')
    } else {
      assert.equal(zeek, undefined)
    }

    // The data Service (sensor mode: headless, and only where there are bind ports) and the metrics Service.
    const services = objects.filter((o) => o.kind === 'Service') as Service[]
    const metrics = services.find((s) => s.metadata.name.endsWith('-metrics'))
    assert.ok(metrics, 'the metrics Service')
    assert.deepEqual(metrics.spec.type, 'ClusterIP')
    assert.ok(metrics.spec.ports.some((p) => p.name === 'http' && p.port === v.httpPort))
    const data = services.find((s) => s !== metrics)
    const bindPorts = v.endpoints.filter((e) => e.mode === 'bind' && e.address.startsWith('tcp://')).map((e) => Number(/(\d+)$/.exec(e.address)![1]))
    if (v.mode === 'relay') assert.ok(data?.spec.ports.some((p) => p.name === 'input' && p.port === v.relay.inputPort), 'the Service exposes the relay input')
    if (bindPorts.length > 0 || v.mode === 'relay') {
      assert.ok(data, 'the data Service')
      for (const port of bindPorts) assert.ok(data.spec.ports.some((p) => p.port === port), `the Service exposes bind port ${port}`)
      assert.ok(!data.spec.ports.some((p) => p.port === v.httpPort), 'the data Service does not carry the metrics')
    } else {
      assert.equal(data, undefined, 'no data Service without ports')
    }

    const enabled = (key: string): boolean => (values[key] as { enabled: boolean }).enabled
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor')
    assert.equal(monitor !== undefined, enabled('serviceMonitor'))
    const rule = objects.find((o) => o.kind === 'PrometheusRule') as (K8sObject & { spec: { groups: { rules: { alert: string }[] }[] } }) | undefined
    assert.equal(rule !== undefined, enabled('prometheusRule'))
    if (rule !== undefined) {
      const file = parse(readFileSync(join(CHART_DIR, 'rules', 'alerts.yml'), 'utf8')) as { groups: { rules: { alert: string }[] }[] }
      const alerts = (groups: { rules: { alert: string }[] }[]): string[] => groups.flatMap((g) => g.rules.map((r) => r.alert))
      assert.deepEqual(alerts(rule.spec.groups), alerts(file.groups), 'the PrometheusRule has the alerts of rules/alerts.yml')
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
  })
}
