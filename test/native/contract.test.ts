// Where the native plane keeps the JavaScript plane's contract by saying no: configurations
// it cannot serve are refused with the reason (auto then runs the JavaScript plane), and a
// reload that would give it such an endpoint is reported as failed while the running ones
// carry on unchanged.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { loadConfig } from '../../src/config/load-config.ts'
import { loadNativePlane } from '../../src/plane/native-plane.ts'
import { bindAddress, ipcDir, publisher, subscriber, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'
import { inputTook, NO_NATIVE, startNativePlane } from './native-plane.ts'

test('native: a configuration with a disk spool is refused, naming the endpoint and the plane that does it', { skip: NO_NATIVE }, (t) => {
  const config = loadConfig({ ZEEK_ZMQ_INPUTS: 'tcp://127.0.0.1:*', ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, 'ipc')}?name=kept&mode=bind&spool=${join(ipcDir(t), 'spool')}` })
  const load = loadNativePlane(config)
  assert.ok('unavailable' in load)
  assert.match(load.unavailable, /disk spools \(endpoint "kept"\).*JavaScript plane/)
  assert.ok(!('unavailable' in loadNativePlane()), 'the addon itself loads')
})

test('native: a reload that would add a disk spool is refused as a whole; the running endpoints carry on unchanged', { skip: NO_NATIVE }, async (t) => {
  const env = { ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, 'ipc')}?name=out&mode=bind` }
  const plane = await startNativePlane(t, env)
  const config = loadConfig({ ZEEK_ZMQ_INPUTS: 'tcp://127.0.0.1:*', ...env })
  assert.deepEqual(await plane.plane.reconfigure(config.endpoints), { added: [], removed: [], changed: [], unchanged: ['out'], summaries: [], failed: [] })

  const changed = loadConfig({ ZEEK_ZMQ_INPUTS: 'tcp://127.0.0.1:*', ZEEK_ZMQ_ENDPOINTS: `${env.ZEEK_ZMQ_ENDPOINTS}&hwm=5 ${bindAddress(t, 'ipc')}?name=new&mode=bind&spool=${join(ipcDir(t), 'spool')}` })
  const report = await plane.plane.reconfigure(changed.endpoints)
  assert.deepEqual(
    report.failed.map((f) => f.endpoint),
    ['out', 'new'],
  )
  assert.match(report.failed[0]!.error, /disk spools \(endpoint "new"\).*JavaScript plane/)

  const sub = await subscriber(t, { connect: plane.endpoint('out').address })
  await waitFor(() => plane.endpoint('out').topics === 1, 'the subscription')
  const pub = await publisher(t, plane.input)
  const records = Array.from({ length: 10 }, (_, i) => zeekMessage(i))
  for (const message of records) await pub.send(message)
  await inputTook(plane, 0, records.length)
  assert.deepEqual(await sub.take(10), records)
  assert.equal(plane.snapshot().endpoints.length, 1)
  assert.equal(plane.endpoint('out').queueCapacity, 1000, 'the running settings stay')
  assert.equal(plane.snapshot().internalErrors, 0)
})
