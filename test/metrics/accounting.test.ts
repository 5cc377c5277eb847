// Accounting closes: once input is quiet, for every endpoint,
//   input records = sent + filtered + dropped + queued.
// And the zeek_zmq_* part of /metrics passes `promtool check metrics`.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { test } from 'node:test'
import { publishAll, sampleValue, startShipper, sumOf as sum } from '../helpers/shipper.ts'
import { bindAddress, boundAt, publisher, subscriber, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'

const PROMTOOL = '/usr/bin/promtool'

test('input = sent + filtered + dropped + queued for every endpoint; promtool finds nothing', async (t) => {
  const healthy = await subscriber(t, { bind: bindAddress(t, 'tcp') })
  const stalled = await subscriber(t, { bind: bindAddress(t, 'ipc') }, { receiveHighWaterMark: 5, stalled: true })
  const shipper = await startShipper(t, {
    ZEEK_ZMQ_LINGER_MS: '0',
    ZEEK_ZMQ_ENDPOINTS: [
      `${boundAt(healthy)}?name=healthy&exclude=files`,
      `${boundAt(stalled)}?name=stalled&hwm=20&include=conn,dns`,
      `${bindAddress(t, 'ipc')}?name=nobody&mode=bind&hwm=300`,
    ].join(' '),
  })
  stalled.read()
  await waitFor(() => shipper.endpoint('healthy').topics === 1 && shipper.endpoint('stalled').topics === 1, 'the subscriptions')
  stalled.pause()

  const n = 3000
  const pub = await publisher(t, shipper.input)
  await publishAll(shipper, pub, [...Array.from({ length: n }, (_, i) => zeekMessage(i)), [Buffer.from('bad path'), Buffer.from('{}')]])
  await healthy.take(n * 4 / 5)

  const text = await (await fetch(`${shipper.url}/metrics`)).text()
  const input = sum(text, 'zeek_zmq_input_records_total', () => true)
  assert.equal(input, n)
  assert.equal(sampleValue(text, 'zeek_zmq_input_rejected_total', { reason: 'path_invalid' }), 1)
  for (const endpoint of ['healthy', 'stalled', 'nobody']) {
    const mine = (labels: string): boolean => labels.includes(`endpoint="${endpoint}"`)
    const sent = sum(text, 'zeek_zmq_endpoint_sent_records_total', mine)
    const filtered = sum(text, 'zeek_zmq_endpoint_filtered_records_total', mine)
    const dropped = sum(text, 'zeek_zmq_endpoint_dropped_records_total', mine)
    const queued = sum(text, 'zeek_zmq_endpoint_queue_records', mine)
    assert.equal(sent + filtered + dropped + queued, input, `${endpoint}: ${sent} + ${filtered} + ${dropped} + ${queued}`)
  }
  assert.equal(sampleValue(text, 'zeek_zmq_endpoint_queue_records', { endpoint: 'nobody' }), 300)
  assert.equal(sampleValue(text, 'zeek_zmq_endpoint_dropped_records_total', { endpoint: 'nobody', reason: 'queue_full' }), n - 300)
  assert.equal(sampleValue(text, 'zeek_zmq_endpoint_filtered_records_total', { endpoint: 'healthy' }), n / 5)
  assert.ok(sampleValue(text, 'zeek_zmq_endpoint_dropped_records_total', { endpoint: 'stalled', reason: 'queue_full' }) > 0)

  if (!existsSync(PROMTOOL)) {
    t.skip(`${PROMTOOL} is missing: install Debian's prometheus package to lint /metrics`)
    return
  }
  // Only our own families: prom-client's nodejs_active_*_total gauges are known to trip the linter.
  const ours = text.split('\n').filter((line) => /^(# (HELP|TYPE) )?zeek_zmq_/.test(line)).join('\n') + '\n'
  const lint = spawnSync(PROMTOOL, ['check', 'metrics'], { input: ours, encoding: 'utf8' })
  assert.equal(lint.status, 0, `promtool check metrics:\n${lint.stdout}${lint.stderr}`)
  assert.equal(`${lint.stdout}${lint.stderr}`.trim(), '')
})
