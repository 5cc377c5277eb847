// The HTTP routes, through Fastify's inject() on a real, unstarted and then started shipper.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pino } from 'pino'
import { loadConfig } from '../../src/config/load-config.ts'
import { buildApp } from '../../src/http/app.ts'
import { createMetricsRegistry } from '../../src/metrics/shipper-metrics.ts'
import { JsDataPlane } from '../../src/plane/js-plane.ts'
import { bindAddress } from '../helpers/sockets.ts'

test('/livez, /readyz before and after the sockets are up and during shutdown, /metrics', async (t) => {
  const logger = pino({ level: 'silent' })
  const config = loadConfig({
    ZEEK_ZMQ_INPUTS: bindAddress(t, 'ipc'),
    ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, 'tcp')}?name=out&mode=bind`,
    ZEEK_ZMQ_LINGER_MS: '0',
  })
  const shipper = new JsDataPlane(config, logger)
  const app = buildApp({ logger, registry: createMetricsRegistry(() => shipper.snapshot()), readiness: () => shipper.readiness() })
  t.after(() => app.close())

  const live = await app.inject('/livez')
  assert.equal(live.statusCode, 200)
  assert.deepEqual(live.json(), { status: 'ok' })

  const early = await app.inject('/readyz')
  assert.equal(early.statusCode, 503)
  assert.deepEqual(early.json(), { status: 'not ready', waitingFor: [`input ${config.inputs[0]}`, 'endpoint out'] })

  await shipper.start()
  const ready = await app.inject('/readyz')
  assert.equal(ready.statusCode, 200)
  assert.deepEqual(ready.json(), { status: 'ready' })

  const metrics = await app.inject('/metrics')
  assert.equal(metrics.statusCode, 200)
  assert.match(metrics.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/)
  assert.match(metrics.body, /^zeek_zmq_endpoint_queue_capacity_records\{endpoint="out"\} 1000$/m)
  assert.match(metrics.body, /^process_cpu_seconds_total /m)

  await shipper.stop()
  const stopping = await app.inject('/readyz')
  assert.equal(stopping.statusCode, 503)
  assert.ok((stopping.json() as { waitingFor: string[] }).waitingFor.includes('shutting down'))
  assert.equal((await app.inject('/nowhere')).statusCode, 404)
})
