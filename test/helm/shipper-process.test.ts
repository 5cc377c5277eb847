// The real shipper, run from exactly what the chart renders for its container: the config
// file from the ConfigMap, laid out as the kubelet lays out a ConfigMap volume, and the
// environment with $(NODE_IP) expanded as Kubernetes does (the node's IP stands in as
// 127.0.0.1). It must listen where the chart says (HTTP and a bind endpoint on the node's IP,
// the port from the config file), deliver what the endpoint's filter lets through, and take
// the endpoints of a helm upgrade from the updated volume, without a restart.

import assert from 'node:assert/strict'
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { spawnProcess, type CliProcess } from '../cli/cli-process.ts'
import { freePorts } from '../containers/docker.ts'
import { sampleValue } from '../helpers/shipper.ts'
import { ipcDir, publisher, subscriber, waitFor } from '../helpers/sockets.ts'
import { zeekMessageFor } from '../helpers/zeek-records.ts'
import { DOWNWARD, expandVariables } from './chart.ts'
import { containersOf, only, render, skipWithoutHelm as skip, workloadOf, type K8sObject } from './render.ts'

/**
 * A ConfigMap volume as the kubelet writes it: the data in a timestamped directory, `..data`
 * a symlink to it, and each key a symlink through `..data`. An update writes a new directory
 * and swaps `..data` in one rename, which is all a watcher of the directory sees.
 */
class ConfigMapVolume {
  readonly dir: string
  #generation = 0
  constructor(dir: string) {
    this.dir = dir
    mkdirSync(dir)
  }

  write(objects: K8sObject[]): void {
    const data = only<K8sObject & { data: Record<string, string> }>(objects, 'ConfigMap').data
    const version = `..${++this.#generation}`
    mkdirSync(join(this.dir, version))
    for (const [key, text] of Object.entries(data)) writeFileSync(join(this.dir, version, key), text)
    symlinkSync(version, join(this.dir, '..data_tmp'))
    renameSync(join(this.dir, '..data_tmp'), join(this.dir, '..data'))
    if (this.#generation === 1) for (const key of Object.keys(data)) symlinkSync(join('..data', key), join(this.dir, key))
    else rmSync(join(this.dir, `..${this.#generation - 1}`), { recursive: true })
  }
}

/** The shipper started from the shipper container of `objects`, with its config volume at `volume`. */
async function startShipper(t: TestContext, objects: K8sObject[], volume: ConfigMapVolume, input: string, httpPort: number): Promise<{ url: string; child: CliProcess }> {
  const { shipper } = containersOf(workloadOf(objects))
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }
  for (const variable of shipper.env!) {
    if (variable.value !== undefined) env[variable.name] = expandVariables(variable.value)
    else if (variable.name in DOWNWARD) env[variable.name] = DOWNWARD[variable.name as keyof typeof DOWNWARD]
  }
  env.ZEEK_ZMQ_CONFIG = join(volume.dir, 'config.json') // mounted at /etc/zeek-zmq-shipper in the pod
  env.ZEEK_ZMQ_INPUTS = input // the pod's socket emptyDir, here a temporary one
  assert.equal(env.ZEEK_ZMQ_HTTP_HOST, '127.0.0.1')

  const child = spawnProcess(t, process.execPath, ['src/cli/index.ts', 'run'], env, { detached: true })
  const url = `http://127.0.0.1:${httpPort}`
  await waitFor(
    async () => {
      if (child.stderr().includes('invalid configuration')) throw new Error(child.stderr())
      return (await fetch(`${url}/readyz`).catch(() => undefined))?.ok === true
    },
    `the shipper to be ready on ${url}`,
    30_000,
    50,
  )
  return { url, child }
}

/** Sends conn and dns records into the input until `done()`. */
async function sendUntil(t: TestContext, input: string, done: () => boolean, what: string): Promise<void> {
  const zeek = await publisher(t, input)
  let i = 0
  await waitFor(
    async () => {
      await zeek.send(zeekMessageFor('conn', i))
      await zeek.send(zeekMessageFor('dns', i++))
      return done()
    },
    what,
    20_000,
    50,
  )
}

test("the shipper runs from the chart's config file and environment, listening on the node's IP", { skip, timeout: 60_000 }, async (t) => {
  const dir = ipcDir(t)
  const [httpPort = 0, bindPort] = await freePorts(2)
  const objects = render('values.yaml', {
    httpPort,
    endpoints: [
      { name: 'analysts', address: `tcp://$(NODE_IP):${bindPort}`, mode: 'bind', include: ['dns*'], hwm: 50 },
      { name: 'archive', address: `ipc://${dir}/archive.sock`, mode: 'bind', alerting: false },
    ],
  })
  const volume = new ConfigMapVolume(join(dir, 'config'))
  volume.write(objects)
  const input = `ipc://${dir}/zeek.sock`
  const { url } = await startShipper(t, objects, volume, input, httpPort)
  const sub = await subscriber(t, { connect: `tcp://127.0.0.1:${bindPort}` })
  await sendUntil(t, input, () => sub.received.length > 0, 'a record on the bind endpoint')
  assert.deepEqual([...new Set(sub.received.map(([path]) => path!.toString()))], ['dns'], "only what the endpoint's include lets through")
  const metrics = await (await fetch(`${url}/metrics`)).text()
  assert.equal(sampleValue(metrics, 'zeek_zmq_endpoint_queue_capacity_records', { endpoint: 'analysts' }), 50)
  assert.equal(sampleValue(metrics, 'zeek_zmq_endpoint_queue_capacity_records', { endpoint: 'archive' }), 1000)
})

test('a helm upgrade with another endpoint reaches the running shipper through the updated ConfigMap volume, in the same pod', { skip, timeout: 90_000 }, async (t) => {
  const dir = ipcDir(t)
  const [httpPort = 0, keptPort, addedPort] = await freePorts(3)
  const kept = { name: 'analysts', address: `tcp://$(NODE_IP):${keptPort}`, mode: 'bind', include: ['dns'] }
  const before = render('values.yaml', { httpPort, endpoints: [kept] })
  const after = render('values.yaml', { httpPort, endpoints: [kept, { name: 'soc', address: `tcp://$(NODE_IP):${addedPort}`, mode: 'bind', include: ['conn'] }] })
  assert.deepEqual(workloadOf(after).spec.template, workloadOf(before).spec.template, 'the upgrade leaves the pod as it is')

  const volume = new ConfigMapVolume(join(dir, 'config'))
  volume.write(before)
  const input = `ipc://${dir}/zeek.sock`
  const { url, child } = await startShipper(t, before, volume, input, httpPort)
  let exited = false
  void child.exited.then(() => (exited = true))
  const analysts = await subscriber(t, { connect: `tcp://127.0.0.1:${keptPort}` })
  await sendUntil(t, input, () => analysts.received.length > 0, 'a record on the kept endpoint')

  volume.write(after) // what the kubelet does within about a minute of the upgrade
  const soc = await subscriber(t, { connect: `tcp://127.0.0.1:${addedPort}` })
  await sendUntil(t, input, () => soc.received.length > 0, 'a record on the endpoint the upgrade added')
  const metrics = await (await fetch(`${url}/metrics`)).text()
  assert.equal(sampleValue(metrics, 'zeek_zmq_config_reload_total', { result: 'success' }), 1)
  assert.equal(sampleValue(metrics, 'zeek_zmq_config_reload_total', { result: 'failure' }), 0)
  assert.deepEqual([...new Set(soc.received.map(([path]) => path!.toString()))], ['conn'])
  assert.equal(exited, false, 'the same shipper process, never restarted')
})
