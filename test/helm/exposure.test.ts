// What a sensor or relay exposes, and to whom: sensor pods are on the host network, so
// nothing may listen on every address of the node; each node's endpoints carry that node's
// records only, so subscribers must find every node; the relay's input is limited to the
// given networks, and its metrics are never behind its load balancer.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { scenarios, type ShipperValues } from './chart.ts'
import { containersOf, envValue, only, render, shipperConfigOf, skipWithoutHelm as skip, template, workloadOf, type K8sObject, type Service } from './render.ts'

const sensorScenarios = scenarios().filter(({ values }) => values.mode === 'sensor')

for (const { name } of sensorScenarios) {
  test(`${name}: in sensor mode nothing listens on every address of the node`, { skip }, () => {
    const objects = render(name)
    assert.doesNotMatch(JSON.stringify(objects), /0\.0\.0\.0/)
    const { shipper, zeek } = containersOf(workloadOf(objects))
    for (const endpoint of shipperConfigOf(objects).endpoints.filter((e) => e.mode === 'bind' && String(e.address).startsWith('tcp://'))) {
      assert.match(String(endpoint.address), /^tcp:\/\/\$\(NODE_IP\):/, `a bind endpoint on the node's own IP: ${endpoint.name}`)
    }
    // On the host network the pod's IP is the node's.
    assert.match(envValue(shipper, 'ZEEK_ZMQ_HTTP_HOST')!, /^\$\((NODE|POD)_IP\)$/)
    assert.equal(envValue(zeek!, 'ZEEK_DEFAULT_LISTEN_ADDRESS'), '$(NODE_IP)', "Zeek's telemetry listens on the node's IP")
    const nodeIp = shipper.env!.find((e) => e.name === 'NODE_IP')
    assert.equal(nodeIp?.valueFrom?.fieldRef?.fieldPath, 'status.hostIP')
  })
}

test('by default the endpoint and the HTTP server listen on the node IP', { skip }, () => {
  const objects = render('values.yaml')
  const { shipper } = containersOf(workloadOf(objects))
  assert.deepEqual(shipperConfigOf(objects).endpoints, [{ name: 'default', address: 'tcp://$(NODE_IP):5556', mode: 'bind' }])
  assert.equal(envValue(shipper, 'ZEEK_ZMQ_HTTP_HOST'), '$(NODE_IP)')
})

test("sensor mode: the bind endpoints' Service is headless, so DNS lists every sensor, and the metrics have their own ClusterIP Service", { skip }, () => {
  const objects = render('values.yaml')
  const data = only<Service>(objects, 'Service', 'zeek-zmq-shipper')
  assert.equal(data.spec.clusterIP, 'None')
  assert.ok(data.spec.ports.every((p) => p.name.startsWith('endpoint-')))
  const metrics = only<Service>(objects, 'Service', 'zeek-zmq-shipper-metrics')
  assert.equal(metrics.spec.clusterIP, undefined)
  assert.deepEqual(metrics.spec.ports.map((p) => p.name).sort(), ['http', 'zeek-telemetry'])
})

test('relay mode: the load balancer admits only the given source ranges, and carries no metrics', { skip }, () => {
  const objects = render('ci/relay-values.yaml')
  const data = only<Service>(objects, 'Service', 'zeek-zmq-shipper-zeek-relay')
  assert.equal(data.spec.type, 'LoadBalancer')
  assert.deepEqual(data.spec.loadBalancerSourceRanges, ['10.20.0.0/16', '192.0.2.0/24'])
  assert.deepEqual(data.spec.ports.map((p) => p.name).sort(), ['endpoint-1', 'input'])
  assert.equal(only<Service>(objects, 'Service', 'zeek-zmq-shipper-zeek-relay-metrics').spec.type, 'ClusterIP')
})

interface Policy {
  spec: { podSelector: { matchLabels: Record<string, string> }; ingress: { ports: { port: string | number }[]; from: unknown[] }[] }
}

test('relay mode: the NetworkPolicy admits the input and bind ports from the given peers only, and the metrics from the monitoring namespace and the helm test', { skip }, () => {
  const objects = render('ci/relay-values.yaml')
  const policy = only<K8sObject & Policy>(objects, 'NetworkPolicy')
  assert.deepEqual(policy.spec.podSelector.matchLabels, workloadOf(objects).spec.selector.matchLabels)
  const [dataRule, metricsRule] = policy.spec.ingress
  assert.deepEqual(dataRule!.ports.map((p) => p.port), ['input', 5557], 'the bind port by number: the pod declares no port a reload could not change')
  assert.equal(dataRule!.from.length, 2)
  assert.deepEqual(metricsRule!.ports.map((p) => p.port), ['http'])
  assert.deepEqual(metricsRule!.from[0], { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } })
  const testPod = objects.find((o) => o.metadata.annotations?.['helm.sh/hook'] === 'test')
  assert.equal(testPod, undefined, 'this scenario has no helm test; the next case has')

  // Without data peers there is no data rule at all: a rule without peers would admit everyone.
  const withTest = render('ci/relay-values.yaml', { networkPolicy: { dataFrom: [] }, tests: { enabled: true } })
  const closed = only<K8sObject & Policy>(withTest, 'NetworkPolicy')
  assert.equal(closed.spec.ingress.length, 1)
  assert.deepEqual(closed.spec.ingress[0]!.ports.map((p) => p.port), ['http'])
  // The helm test pod may still ask the metrics port.
  const testLabels = withTest.find((o) => o.metadata.annotations?.['helm.sh/hook'] === 'test')!.metadata.labels!
  const peers = closed.spec.ingress[0]!.from as { podSelector?: { matchLabels: Record<string, string> } }[]
  assert.ok(
    peers.some((peer) => peer.podSelector !== undefined && Object.entries(peer.podSelector.matchLabels).every(([k, v]) => testLabels[k] === v)),
    'the helm test pod is let in to the metrics',
  )
})

test('sensor mode refuses a NetworkPolicy, which cannot apply to host-network pods', { skip }, () => {
  const { status, stderr } = template('values.yaml', { networkPolicy: { enabled: true } })
  assert.notEqual(status, 0)
  assert.match(stderr, /networkPolicy\.enabled: sensor pods are on the host network/)
})

test('relay mode refuses bind endpoints behind more than one replica, unless sharding is allowed', { skip }, () => {
  const sharded = { relay: { allowSharding: false } }
  const { status, stderr } = template('ci/relay-values.yaml', sharded)
  assert.notEqual(status, 0)
  assert.match(stderr, /relay\.replicas is 2 and endpoint "subscribers" is bind-mode/)
  assert.equal(template('ci/relay-values.yaml', { ...sharded, relay: { allowSharding: false, replicas: 1 } }).status, 0)
  const connectOnly = { relay: { allowSharding: false }, endpoints: [{ name: 'siem', address: 'tcp://siem:5556' }] }
  assert.equal(template('ci/relay-values.yaml', connectOnly).status, 0)
})

test("relay mode refuses $(NODE_IP), which the relay's pods do not have", { skip }, () => {
  const endpoints = [{ name: 'x', address: 'tcp://$(NODE_IP):5556', mode: 'bind' }]
  const { status, stderr } = template('ci/relay-values.yaml', { endpoints })
  assert.notEqual(status, 0)
  assert.match(stderr, /endpoint "x" binds on \$\(NODE_IP\)/)
  const host = template('ci/relay-values.yaml', { httpHost: '$(NODE_IP)' })
  assert.match(host.stderr, /httpHost is \$\(NODE_IP\)/)
})

test('relay mode: the HTTP host is the pod network by default, not a node address', { skip }, () => {
  const relay = scenarios().find((s) => s.name === 'ci/relay-values.yaml')!.values as unknown as ShipperValues
  const { shipper } = containersOf(workloadOf(render('ci/relay-values.yaml')))
  assert.equal(relay.httpHost, '')
  assert.equal(envValue(shipper, 'ZEEK_ZMQ_HTTP_HOST'), '0.0.0.0')
  assert.equal(envValue(shipper, 'ZEEK_ZMQ_INPUTS'), 'tcp://$(POD_IP):6000')
})
