// The peers gauge under churn: peers that come and go before or during their handshake,
// raw tcp connections that speak no ZMTP, and many subscribers at once. Every connection
// ZeroMQ accepts is matched by its own disconnect, so the gauge ends where it started.

import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { test } from 'node:test'
import { Subscriber } from 'zeromq'
import { startShipper, type TestShipper } from '../helpers/shipper.ts'
import { subscriber, waitFor } from '../helpers/sockets.ts'

/** Resolves once the gauge has stayed at `expected` for a while (so a late decrement shows). */
async function settlesAt(shipper: TestShipper, expected: number, what: string): Promise<void> {
  await waitFor(async () => (await shipper.metric('zeek_zmq_endpoint_peers', { endpoint: 'out' })) === expected, what)
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.equal(await shipper.metric('zeek_zmq_endpoint_peers', { endpoint: 'out' }), expected, `${what}, and stays there`)
}

const ZMTP_SIGNATURE = [0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f]
const NULL_MECHANISM = Buffer.concat([Buffer.from('NULL'), Buffer.alloc(16)])
/** A ZMTP 3.0 greeting and READY command of a SUB socket, then a frame with invalid flags. */
const READY_THEN_JUNK = Buffer.concat([
  Buffer.from([...ZMTP_SIGNATURE, 3, 0]),
  NULL_MECHANISM,
  Buffer.alloc(32),
  Buffer.from([4, 26, 5]),
  Buffer.from('READY'),
  Buffer.from([11]),
  Buffer.from('Socket-Type'),
  Buffer.from([0, 0, 0, 3]),
  Buffer.from('SUB'),
  Buffer.from([0xee, 1, 2, 3]),
])

/** A tcp client that sends bytes that are not (all) valid ZMTP and hangs up. */
function junkPeer(address: string, bytes: Buffer): Promise<void> {
  const { hostname, port } = new URL(address.replace('tcp://', 'http://'))
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(bytes)
      setTimeout(() => socket.destroy(), 50)
    })
    socket.resume() // read what ZeroMQ sends (its greeting), or its hang-up never shows
    socket.on('close', () => resolve())
    socket.on('error', () => resolve())
  })
}

test('short-lived peers, failed handshakes and 50 concurrent subscribers leave the peers gauge exact', async (t) => {
  const shipper = await startShipper(t, { ZEEK_ZMQ_ENDPOINTS: 'tcp://127.0.0.1:*?name=out&mode=bind' })
  const address = shipper.endpoint('out').address
  for (let i = 0; i < 3; i++) await subscriber(t, { connect: address })
  await settlesAt(shipper, 3, 'three subscribers')

  // Peers that leave at once, most before their handshake is done.
  await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const peer = new Subscriber({ linger: 0 })
      peer.subscribe()
      peer.connect(address)
      if (i % 2 === 0) await new Promise((resolve) => setTimeout(resolve, i))
      peer.close()
    }),
  )
  // Connections that are not ZeroMQ at all (junk, a greeting cut short, nothing), and
  // peers that break the protocol just after their handshake: ZeroMQ reports those with a
  // disconnect and no handshake event of any kind.
  await Promise.all([
    ...Array.from({ length: 10 }, () => junkPeer(address, READY_THEN_JUNK)),
    ...Array.from({ length: 10 }, () => junkPeer(address, Buffer.from('GET / HTTP/1.0\r\n\r\n'))),
    ...Array.from({ length: 10 }, () => junkPeer(address, Buffer.from([...ZMTP_SIGNATURE, 3]))),
    ...Array.from({ length: 10 }, () => junkPeer(address, Buffer.alloc(0))),
  ])
  await settlesAt(shipper, 3, 'the three subscribers after the churn')

  const many = await Promise.all(Array.from({ length: 50 }, () => subscriber(t, { connect: address })))
  await settlesAt(shipper, 53, 'fifty more subscribers')
  for (const sub of many) sub.socket.close()
  await settlesAt(shipper, 3, 'the three subscribers after the fifty left')
})
