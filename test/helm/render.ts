// helm template on the chart, as the tests call it: a scenario (values.yaml or a ci/ file),
// optionally with more values over it, rendered into parsed Kubernetes objects.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseAllDocuments, stringify } from 'yaml'
import { CHART_DIR, findExecutable, type Values } from './chart.ts'

export const helm = findExecutable('helm', 'HELM_BIN')
export const skipWithoutHelm = helm === undefined ? 'no helm binary on PATH (nor HELM_BIN): helm lint and helm template cannot run here' : false

export const RELEASE = 'zeek-zmq-shipper'
export const NAMESPACE = 'sensors'

/** The one value an install must give that values.yaml cannot: where the images were pushed. */
export const INSTALL_VALUES: Values = { image: { registry: 'registry.example.com/nsm' } }

export interface K8sObject {
  apiVersion: string
  kind: string
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  [key: string]: unknown
}

export function runHelm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(helm!, args, { encoding: 'utf8', timeout: 60_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** The -f arguments of a scenario, then of the extra values (written to a file for the call). */
export function valuesArgs(scenario: string, extra?: Values): { args: string[]; cleanup(): void } {
  const args = scenario === 'values.yaml' ? [] : ['-f', join(CHART_DIR, scenario)]
  const dir = mkdtempSync(join(tmpdir(), 'zzs-values-'))
  for (const [i, values] of [scenario === 'values.yaml' ? INSTALL_VALUES : undefined, extra].entries()) {
    if (values === undefined) continue
    const file = join(dir, `extra-${i}.yaml`)
    writeFileSync(file, stringify(values))
    args.push('-f', file)
  }
  return { args, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** helm template's result on a scenario with extra values: its objects, or its error. */
export function template(scenario: string, extra?: Values, chartDir = CHART_DIR): { status: number | null; stderr: string; objects: K8sObject[] } {
  const { args, cleanup } = valuesArgs(scenario, extra)
  try {
    const { status, stdout, stderr } = runHelm(['template', RELEASE, chartDir, '--namespace', NAMESPACE, ...args])
    const objects = status !== 0 ? [] : parseAllDocuments(stdout).map((doc) => doc.toJS() as K8sObject | null).filter((o): o is K8sObject => o !== null)
    return { status, stderr, objects }
  } finally {
    cleanup()
  }
}

/** The objects a scenario renders; the test fails if helm does. */
export function render(scenario: string, extra?: Values, chartDir?: string): K8sObject[] {
  const { status, stderr, objects } = template(scenario, extra, chartDir)
  assert.equal(status, 0, stderr)
  return objects
}

export function only<T extends K8sObject = K8sObject>(objects: K8sObject[], kind: string, name?: string): T {
  const found = objects.filter((object) => object.kind === kind && (name === undefined || object.metadata.name === name))
  assert.equal(found.length, 1, `one ${kind}${name === undefined ? '' : ` ${name}`}, found ${found.length}`)
  return found[0] as T
}

export interface Container {
  name: string
  image: string
  restartPolicy?: string
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]
  ports?: { name: string; containerPort: number }[]
  securityContext: Record<string, unknown> & { capabilities?: { drop?: string[]; add?: string[] }; readOnlyRootFilesystem?: boolean }
  startupProbe?: Probe
  livenessProbe?: Probe
  readinessProbe?: Probe
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> }
  volumeMounts?: { name: string; mountPath: string }[]
}
export interface Probe {
  httpGet?: { path: string; port: string | number }
  exec?: { command: string[] }
  [field: string]: unknown
}
export interface PodSpec {
  hostNetwork?: boolean
  terminationGracePeriodSeconds: number
  priorityClassName?: string
  initContainers?: Container[]
  containers: Container[]
  volumes: { name: string; configMap?: { name: string }; emptyDir?: { sizeLimit?: string } }[]
}
export type Workload = K8sObject & {
  spec: {
    selector: { matchLabels: Record<string, string> }
    minReadySeconds?: number
    updateStrategy?: { type: string; rollingUpdate?: { maxUnavailable: unknown } }
    template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: PodSpec }
  }
}
export type Service = K8sObject & { spec: { type?: string; clusterIP?: string; selector: Record<string, string>; ports: { name: string; port: number }[]; loadBalancerSourceRanges?: string[] } }

export function workloadOf(objects: K8sObject[]): Workload {
  const found = objects.filter((o) => o.kind === 'DaemonSet' || o.kind === 'Deployment')
  assert.equal(found.length, 1, 'one workload')
  return found[0] as Workload
}

/** The shipper and (sensor mode) Zeek containers of a workload. */
export function containersOf(workload: Workload): { shipper: Container; zeek?: Container } {
  const pod = workload.spec.template.spec
  const all = [...(pod.initContainers ?? []), ...pod.containers]
  const shipper = all.find((c) => c.name === 'shipper')
  assert.ok(shipper, 'the shipper container')
  return { shipper, zeek: all.find((c) => c.name === 'zeek') }
}

export function envValue(container: Container, name: string): string | undefined {
  return container.env?.find((e) => e.name === name)?.value
}

/** The shipper's config file as the release's ConfigMap holds it (not the dashboards' ConfigMap). */
export function shipperConfigOf(objects: K8sObject[]): { endpoints: Record<string, unknown>[] } & Record<string, unknown> {
  const configMap = only(objects.filter((o) => !o.metadata.name.endsWith('-dashboards')), 'ConfigMap') as K8sObject & { data: Record<string, string> }
  return JSON.parse(configMap.data['config.json']!) as { endpoints: Record<string, unknown>[] } & Record<string, unknown>
}
