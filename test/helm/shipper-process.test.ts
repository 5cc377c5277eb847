// The real shipper, run from exactly what the chart renders for its container: the config
// file from the ConfigMap, and the environment with $(NODE_IP) expanded as Kubernetes does
// (the node's IP stands in as 127.0.0.1). It must listen where the chart says (HTTP and a
// bind endpoint on the node's IP, the port from the config file) and deliver what the
// endpoint's filter lets through.

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { spawnProcess } from '../cli/cli-process.ts'
import { freePorts } from '../containers/docker.ts'
import { sampleValue } from '../helpers/shipper.ts'
import { ipcDir, publisher, subscriber, waitFor } from '../helpers/sockets.ts'
import { zeekMessageFor } from '../helpers/zeek-records.ts'
import { DOWNWARD, expandVariables } from './chart.ts'
import { containersOf, only, render, skipWithoutHelm as skip, workloadOf, type K8sObject } from './render.ts'

test("the shipper runs from the chart's config file and environment, listening on the node's IP", { skip, timeout: 60_000 }, async (t) => {
  const dir = ipcDir(t)
  const [httpPort, bindPort] = await freePorts(2)
  const objects = render('values.yaml', {
    httpPort,
    endpoints: [
      { name: 'analysts', address: `tcp://$(NODE_IP):${bindPort}`, mode: 'bind', include: ['dns*'], hwm: 50 },
      { name: 'archive', address: `ipc://${dir}/archive.sock`, mode: 'bind', alerting: false },
    ],
  })
  const configMap = only<K8sObject & { data: Record<string, string> }>(objects, 'ConfigMap')
  writeFileSync(join(dir, 'config.json'), configMap.data['config.json']!)
  const { shipper } = containersOf(workloadOf(objects))
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }
  for (const variable of shipper.env!) {
    if (variable.value !== undefined) env[variable.name] = expandVariables(variable.value)
    else if (variable.name in DOWNWARD) env[variable.name] = DOWNWARD[variable.name as keyof typeof DOWNWARD]
  }
  env.ZEEK_ZMQ_CONFIG = join(dir, 'config.json') // mounted at /etc/zeek-zmq-shipper in the pod
  env.ZEEK_ZMQ_INPUTS = `ipc://${dir}/zeek.sock` // the pod's socket emptyDir, here a temporary one
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
  const sub = await subscriber(t, { connect: `tcp://127.0.0.1:${bindPort}` })
  const zeek = await publisher(t, env.ZEEK_ZMQ_INPUTS)
  let i = 0
  await waitFor(
    async () => {
      await zeek.send(zeekMessageFor('conn', i))
      await zeek.send(zeekMessageFor('dns', i++))
      return sub.received.length > 0
    },
    'a record on the bind endpoint',
    20_000,
    50,
  )
  assert.deepEqual([...new Set(sub.received.map(([path]) => path!.toString()))], ['dns'], "only what the endpoint's include lets through")
  const metrics = await (await fetch(`${url}/metrics`)).text()
  assert.equal(sampleValue(metrics, 'zeek_zmq_endpoint_queue_capacity_records', { endpoint: 'analysts' }), 50)
  assert.equal(sampleValue(metrics, 'zeek_zmq_endpoint_queue_capacity_records', { endpoint: 'archive' }), 1000)
})
