// A network partition between the shipper and a tcp subscriber, made inside a network
// namespace of the test's own: iptables drops every packet of the connection, which stays
// open (no reset), for longer than the endpoint's queue holds. Afterwards the connection
// carries on, and every record is accounted for exactly.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { CLI, spawnProcess, type CliProcess } from '../cli/cli-process.ts'
import { NO_NETNS, networkNamespace, type NetworkNamespace } from '../helpers/netns.ts'
import { NO_PYZMQ, pyzmqPeer, type PyzmqPeer } from '../helpers/pyzmq.ts'
import { sampleValue, sumOf } from '../helpers/shipper.ts'
import { ipcDir, publisher, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'

const PORT = 5999
const skip = NO_NETNS || NO_PYZMQ

/** The shipper's /metrics, read from inside the namespace, where its HTTP listens. */
function metricsText(ns: NetworkNamespace, port: number): string {
  return ns.run(process.execPath, '-e', `fetch('http://127.0.0.1:${port}/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))`)
}

interface PartitionRun {
  readonly shipper: CliProcess
  readonly sub: PyzmqPeer
  readonly metrics: () => string
  readonly sent: Buffer[][]
}

/** n records before the partition, `during` while it lasts, then healed. */
async function partitioned(t: import('node:test').TestContext, endpointOptions: string, before: number, during: number): Promise<PartitionRun> {
  const ns = networkNamespace(t)
  const dir = ipcDir(t)
  const input = `ipc://${join(dir, 'zeek.sock')}`
  // The input is an ipc socket, a file: the test's own publisher reaches it from outside the namespace.
  const [program, ...args] = ns.inside([process.execPath, CLI, 'run'])
  const shipper = spawnProcess(t, program!, args, {
    PATH: process.env.PATH ?? '',
    ZEEK_ZMQ_HTTP_HOST: '127.0.0.1',
    ZEEK_ZMQ_HTTP_PORT: '8080',
    ZEEK_ZMQ_INPUTS: input,
    ZEEK_ZMQ_ENDPOINTS: `tcp://127.0.0.1:${PORT}?name=siem&mode=bind${endpointOptions}`,
  }, { detached: true })
  await shipper.logLine('shipper ready')
  const metrics = (): string => metricsText(ns, 8080)
  const sub = await pyzmqPeer(t, { role: 'sub', connect: `tcp://127.0.0.1:${PORT}` }, ns.inside)
  await waitFor(() => sampleValue(metrics(), 'zeek_zmq_endpoint_peers', { endpoint: 'siem' }) === 1, 'the subscriber', 20_000, 200)

  const pub = await publisher(t, input)
  const sent = Array.from({ length: before + during }, (_, i) => zeekMessage(i))
  for (const message of sent.slice(0, before)) await pub.send(message)
  await waitFor(() => sub.messages().length === before, `${before} records before the partition`, 20_000, 100)

  ns.partition(PORT)
  for (const message of sent.slice(before)) await pub.send(message)
  await waitFor(() => sumOf(metrics(), 'zeek_zmq_input_records_total') === sent.length, 'the input to take every record', 20_000, 200)
  // Held for a while with nothing crossing: TCP keeps retransmitting, and ZeroMQ keeps the connection.
  await new Promise((resolve) => setTimeout(resolve, 3000))
  assert.equal(sampleValue(metrics(), 'zeek_zmq_endpoint_peers', { endpoint: 'siem' }), 1, 'the connection outlived the partition')
  ns.heal(PORT)
  return { shipper, sub, metrics, sent }
}

test('with a spool, a tcp subscriber cut off for longer than the memory queue would hold loses nothing: every record arrives once, in order', { skip }, async (t) => {
  const spool = join(ipcDir(t), 'spool')
  const { sub, metrics, sent } = await partitioned(t, `&hwm=1000&spool=${spool}`, 500, 8000)
  await waitFor(() => sub.messages().length >= sent.length, 'every record after the partition', 60_000, 200)
  assert.deepEqual(sub.messages(), sent)
  const text = metrics()
  assert.equal(sumOf(text, 'zeek_zmq_endpoint_dropped_records_total'), 0)
  await waitFor(() => sampleValue(metrics(), 'zeek_zmq_endpoint_spool_records', { endpoint: 'siem' }) === 0, 'the spool to empty', 20_000, 200)
})

test('a tcp subscriber cut off for longer than the queue holds: the newest records past the queue are dropped and counted, the rest arrive in order', { skip }, async (t) => {
  const { sub, metrics, sent } = await partitioned(t, '&hwm=1000', 500, 8000)
  await waitFor(() => sampleValue(metrics(), 'zeek_zmq_endpoint_queue_records', { endpoint: 'siem' }) === 0, 'the queue to drain after the partition', 60_000, 200)
  await waitFor(() => sub.messages().length === sampleValue(metrics(), 'zeek_zmq_endpoint_sent_records_total', { endpoint: 'siem', path: 'conn' }) * 5, 'the subscriber to take what was sent', 60_000, 200)
  const text = metrics()
  const received = sub.messages()
  const dropped = sampleValue(text, 'zeek_zmq_endpoint_dropped_records_total', { endpoint: 'siem', reason: 'queue_full' })
  t.diagnostic(`${received.length} received, ${dropped} dropped of ${sent.length}`)
  assert.ok(dropped > 0, 'the partition outlasted the queue')
  assert.equal(received.length + dropped, sent.length, 'received + dropped = published')
  // Dropped are the newest at each moment the queue was full: what arrives is in order.
  const indexOf = (message: Buffer[]): number => sent.findIndex((m) => m[1]!.equals(message[1]!))
  const order = received.map(indexOf)
  assert.ok(order.every((index, i) => index >= 0 && (i === 0 || index > order[i - 1]!)), 'every record received is one published, in order')
})
