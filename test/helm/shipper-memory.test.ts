// The shipper container's memory limit: where shipper.resources gives none, the chart
// computes it from the shipper's own memory settings, as the README's "Limits" formula
// states them (one subscriber connection per endpoint), so that the kubelet's limit never
// cuts in before the shipper's own drops do; a limit the values give is kept.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { containersOf, render, skipWithoutHelm, workloadOf } from './render.ts'

const MIB = 1048576

function memoryLimit(values: Record<string, unknown>): number {
  const { shipper } = containersOf(workloadOf(render('values.yaml', values)))
  return Number((shipper.resources as { limits: { memory: string } }).limits.memory)
}

test("the shipper's memory limit is the worst case of its memory settings", { skip: skipWithoutHelm }, () => {
  const endpoints = [
    { name: 'siem', address: 'tcp://siem.example.net:5556' },
    { name: 'archive', address: 'tcp://0.0.0.0:5557', mode: 'bind', hwmBytes: 16 * MIB },
  ]
  const values = { endpoints, memoryLimitBytes: 128 * MIB, queueBytes: 32 * MIB, maxRecordBytes: 2 * MIB, maxSubscriptions: 100, maxTopicBytes: 64, shipper: { memoryLimitEndpoints: 0 } }
  const perEndpoint = (queue: number) => Math.max(queue / 4, 2 * MIB) + 2 * MIB + 512 * 1024 + 100 * 64 * 48
  const expected = 110 * MIB + 128 * MIB + 96 * MIB + perEndpoint(32 * MIB) + perEndpoint(16 * MIB)
  assert.equal(memoryLimit(values), expected)
  // Spares of the default queue size, up to shipper.memoryLimitEndpoints in all.
  assert.equal(memoryLimit({ ...values, shipper: { memoryLimitEndpoints: 5 } }), expected + 3 * perEndpoint(32 * MIB))
  assert.equal(memoryLimit({ ...values, shipper: { memoryLimitEndpoints: 1 } }), expected, 'never less than the configured endpoints need')
})

test('within shipper.memoryLimitEndpoints, adding or removing an endpoint of the default queue size leaves the limit (and the pods) as they are', { skip: skipWithoutHelm }, () => {
  const one = [{ name: 'siem', address: 'tcp://siem.example.net:5556' }]
  const three = [...one, { name: 'soc', address: 'tcp://soc.example.net:5556', include: ['notice'] }, { name: 'lake', address: 'tcp://lake.example.net:5556' }]
  assert.equal(memoryLimit({ endpoints: three }), memoryLimit({ endpoints: one }))
  assert.notEqual(memoryLimit({ endpoints: [...one, { name: 'big', address: 'tcp://big:1', hwmBytes: 512 * MIB }] }), memoryLimit({ endpoints: one }), 'a queue of another size')
})

test('a memory limit given in shipper.resources is kept', { skip: skipWithoutHelm }, () => {
  const { shipper } = containersOf(workloadOf(render('values.yaml', { shipper: { resources: { limits: { memory: '3Gi' } } } })))
  assert.equal((shipper.resources as { limits: { memory: string } }).limits.memory, '3Gi')
})
