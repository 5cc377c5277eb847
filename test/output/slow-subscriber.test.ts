// A subscriber that reads steadily but slower than records come: the endpoint waits for
// room in its buffer without burning the event loop. Each refused send costs an Error from
// zeromq.js and a timer, so the number of waits must follow how long the subscriber stays
// full, not how many records it takes.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { publishAll, startShipper } from '../helpers/shipper.ts'
import { bindAddress, publisher, subscriber, waitFor } from '../helpers/sockets.ts'

const RECORD = Buffer.alloc(4096, 'x')

test('a steadily slow subscriber costs a wait per buffer it frees, not one per record', async (t) => {
  const slow = await subscriber(t, { bind: bindAddress(t, 'ipc') }, { receiveHighWaterMark: 10, stalled: true })
  const shipper = await startShipper(t, { ZEEK_ZMQ_LINGER_MS: '0', ZEEK_ZMQ_ENDPOINTS: `${slow.socket.lastEndpoint}?name=slow&hwm=100000` })
  const n = 4000
  const pub = await publisher(t, shipper.input)
  // The subscriber takes one record per millisecond at most: a few hundred a second on a busy machine.
  let reading = true
  t.after(() => (reading = false))
  void (async () => {
    try {
      while (reading) {
        const [message] = await Promise.all([slow.socket.receive(), new Promise((resolve) => setTimeout(resolve, 1))])
        slow.received.push(message)
      }
    } catch {
      // closed at the end of the test
    }
  })()
  await waitFor(() => shipper.endpoint('slow').topics === 1, 'the subscription')
  await publishAll(shipper, pub, Array.from({ length: n }, () => [Buffer.from('conn'), RECORD]))
  await waitFor(() => slow.received.length >= 2500, 'the slow subscriber to take 2500 records', 60_000, 100)

  const { sent, fullPauses, queueRecords } = shipper.endpoint('slow')
  t.diagnostic(`${sent} records sent, ${queueRecords} still queued, ${fullPauses} waits for room`)
  assert.ok(queueRecords > 0, 'records waited in the queue: the subscriber was slower than the input')
  // A retry every millisecond would wait about once per record sent; the JavaScript plane
  // waits about once per 50 records here, the native plane (whose longest wait is 8 ms) once per 10.
  assert.ok(fullPauses < sent / 5, `${fullPauses} waits for ${sent} records sent`)
})
