// On shutdown the input stops reading, but what ZeroMQ has already taken from Zeek is still
// routed: counted, queued, and given its endpoint's linger, not thrown away unseen.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startShipper, inputSeen } from '../helpers/shipper.ts'
import { bindAddress, publisher } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'

test('records already inside the input socket when the shipper stops are routed and accounted for', async (t) => {
  const shipper = await startShipper(t, { ZEEK_ZMQ_LINGER_MS: '0', ZEEK_ZMQ_ENDPOINTS: `${bindAddress(t, 'ipc')}?name=nobody&mode=bind` })
  const pub = await publisher(t, shipper.input)
  const n = 500 // below the input's receive high-water mark: all of them fit inside ZeroMQ
  for (let i = 0; i < n; i++) await pub.send(zeekMessage(i))

  // Hold the event loop while ZeroMQ's I/O thread moves every record into the input
  // socket, so that none has been read when shutdown begins. (The native plane reads in a
  // thread of its own, which this does not hold: it has read them already, and the rest of
  // the test holds for it all the same.)
  const until = Date.now() + 300
  while (Date.now() < until) {
    // busy: the JavaScript side reads nothing meanwhile
  }
  if (shipper.plane.kind === 'js') assert.equal(inputSeen(shipper), 0)
  const [summary] = await shipper.stop()

  assert.equal(inputSeen(shipper), n)
  assert.deepEqual(summary, { endpoint: 'nobody', sent: 0, dropped: n, left: n, filtered: 0 })
})
