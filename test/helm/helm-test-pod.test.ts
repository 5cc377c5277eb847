// The helm test pod must not carry the labels the DaemonSet or Deployment selects its pods
// by: the controller would adopt it as its own and delete it (the DaemonSet, a second pod
// on a node; both, a finished pod). Nor may a Service send it traffic.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { render, skipWithoutHelm as skip, workloadOf, type K8sObject, type Service } from './render.ts'

const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean => Object.entries(selector).every(([key, value]) => labels[key] === value)

for (const [scenario, extra] of [
  ['values.yaml', undefined],
  ['ci/relay-values.yaml', { tests: { enabled: true } }],
] as const) {
  test(`${scenario}: the helm test pod matches no workload or Service selector, and reaches the shipper through the metrics Service`, { skip }, () => {
    const objects = render(scenario, extra)
    const testPod = objects.find((o) => o.metadata.annotations?.['helm.sh/hook'] === 'test') as (K8sObject & { spec: { containers: { env: { name: string; value: string }[] }[] } }) | undefined
    assert.ok(testPod, 'the test pod')
    const labels = testPod.metadata.labels!
    assert.equal(labels['app.kubernetes.io/instance'], 'zeek-zmq-shipper', 'it still belongs to the release')
    const workload = workloadOf(objects)
    assert.ok(!matches(workload.spec.selector.matchLabels, labels), 'the workload selector matches the test pod')
    assert.ok(matches(workload.spec.selector.matchLabels, workload.spec.template.metadata.labels), 'the workload selects its own pods')
    const services = objects.filter((o) => o.kind === 'Service') as Service[]
    for (const service of services) assert.ok(!matches(service.spec.selector, labels), `Service ${service.metadata.name} selects the test pod`)
    const url = testPod.spec.containers[0]!.env.find((e) => e.name === 'SHIPPER_URL')!.value
    const metrics = services.find((s) => s.metadata.name.endsWith('-metrics'))!
    assert.match(url, new RegExp(`^http://${metrics.metadata.name}\\.sensors\\.svc:${metrics.spec.ports.find((p) => p.name === 'http')!.port}$`))
  })
}
