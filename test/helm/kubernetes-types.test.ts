// Every object the chart renders, in every scenario, type-checked against the Kubernetes and
// Prometheus Operator API types (kubernetes-models, @kubernetes-models/prometheus-operator):
// each object becomes a typed object literal that TypeScript checks with excess-property
// checks, so a misspelt or misplaced field fails, and each is also run through the models'
// own validation of required fields, types and formats.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { ROOT, scenarios } from './chart.ts'
import { render, skipWithoutHelm as skip, type K8sObject } from './render.ts'

/** Where each kind's type and model live: module, interface, class. */
const MODELS: Record<string, [string, string, string]> = {
  'v1/ConfigMap': ['kubernetes-models/v1/ConfigMap', 'IConfigMap', 'ConfigMap'],
  'v1/Service': ['kubernetes-models/v1/Service', 'IService', 'Service'],
  'v1/ServiceAccount': ['kubernetes-models/v1/ServiceAccount', 'IServiceAccount', 'ServiceAccount'],
  'v1/Pod': ['kubernetes-models/v1/Pod', 'IPod', 'Pod'],
  'apps/v1/DaemonSet': ['kubernetes-models/apps/v1/DaemonSet', 'IDaemonSet', 'DaemonSet'],
  'apps/v1/Deployment': ['kubernetes-models/apps/v1/Deployment', 'IDeployment', 'Deployment'],
  'policy/v1/PodDisruptionBudget': ['kubernetes-models/policy/v1/PodDisruptionBudget', 'IPodDisruptionBudget', 'PodDisruptionBudget'],
  'networking.k8s.io/v1/NetworkPolicy': ['kubernetes-models/networking.k8s.io/v1/NetworkPolicy', 'INetworkPolicy', 'NetworkPolicy'],
  'monitoring.coreos.com/v1/ServiceMonitor': ['@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor', 'IServiceMonitor', 'ServiceMonitor'],
  'monitoring.coreos.com/v1/PrometheusRule': ['@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule', 'IPrometheusRule', 'PrometheusRule'],
}

const modelOf = (object: K8sObject): [string, string, string] => {
  const model = MODELS[`${object.apiVersion}/${object.kind}`]
  assert.ok(model, `no type known for ${object.apiVersion} ${object.kind}: add it to MODELS`)
  return model
}

/** A TypeScript module declaring each object as a typed literal. */
function typedModule(objects: { source: string; object: K8sObject }[]): string {
  const used = [...new Set(objects.map(({ object }) => modelOf(object)))]
  const imports = used.map(([module, type]) => `import type { ${type} } from '${module}'`)
  const consts = objects.map(({ source, object }, i) => `// ${source}\nexport const object${i}: ${modelOf(object)[1]} = ${JSON.stringify(object, null, 2)}`)
  return [...imports, '', ...consts, ''].join('\n')
}

/** tsc's verdict on a module, compiled strictly in a directory of its own that sees the repository's node_modules. */
function typeCheck(t: TestContext, source: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'zzs-k8s-types-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  writeFileSync(join(dir, 'objects.ts'), source)
  const compilerOptions = { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', skipLibCheck: true, types: [] }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['objects.ts'] }))
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8', timeout: 120_000 })
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

test('the type check rejects a misspelt field, a field in the wrong place and a wrong type', { skip }, (t) => {
  const objects = render('values.yaml')
  const pod = objects.find((o) => o.kind === 'Pod')!
  const daemonSet = objects.find((o) => o.kind === 'DaemonSet')!
  const monitor = render('ci/monitoring-values.yaml').find((o) => o.kind === 'ServiceMonitor')!
  const broken = [
    { source: 'a misspelt field', object: { ...pod, spec: { ...(pod.spec as object), restartPolcy: 'Never' } } },
    { source: 'a field in the wrong place', object: { ...daemonSet, spec: { ...(daemonSet.spec as object), maxUnavailable: 1 } } },
    { source: 'a wrong type', object: { ...pod, spec: { ...(pod.spec as object), automountServiceAccountToken: 'no' } } },
    { source: 'a misspelt ServiceMonitor field', object: { ...monitor, spec: { ...(monitor.spec as object), endpoint: [] } } },
  ]
  const { status, output } = typeCheck(t, typedModule(broken))
  assert.notEqual(status, 0)
  for (const error of [/'"restartPolcy"' does not exist in type 'IPodSpec'/, /'"maxUnavailable"' does not exist in type 'IDaemonSetSpec'/, /Type 'string' is not assignable to type 'boolean/, /'"endpoint"' does not exist in type 'IServiceMonitorSpec'/]) {
    assert.match(output, error)
  }
})

test('every rendered object of every scenario type-checks against the Kubernetes and Prometheus Operator types', { skip, timeout: 180_000 }, async (t) => {
  const objects = scenarios().flatMap(({ name }) => render(name, name.includes('relay') ? { tests: { enabled: true } } : undefined).map((object) => ({ source: `${name}: ${object.kind} ${object.metadata.name}`, object })))
  const kinds = new Set(objects.map(({ object }) => `${object.apiVersion}/${object.kind}`))
  assert.deepEqual([...kinds].sort(), Object.keys(MODELS).sort(), 'the scenarios render every kind the chart has')
  const { status, output } = typeCheck(t, typedModule(objects))
  assert.equal(status, 0, output)

  // The models' validation: required fields, types, formats and enums.
  for (const { source, object } of objects) {
    const [module, , name] = modelOf(object)
    const Model = (await import(module))[name] as new (data: unknown) => { validate(): void }
    assert.doesNotThrow(() => new Model(object).validate(), source)
  }
})
