// A live shipper with a tcp input for a raw peer to attack, Zeek's own publisher on it, and a
// subscriber that has taken Zeek's first 20 records: the before picture of an input attack.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import type { XPublisher } from 'zeromq'
import { spawnShipper, type CliProcess } from '../cli/cli-process.ts'
import { sampleValue } from './shipper.ts'
import { ipcDir, publisher, subscriber, waitFor, type TestSubscriber } from './sockets.ts'
import { zeekMessage } from './zeek-records.ts'
import { rawConnect, rssBytes, type RawPeer } from './zmtp-raw.ts'

export interface ExposedInput {
  readonly shipper: CliProcess
  readonly url: string
  /** The tcp input's bound address. */
  readonly input: string
  readonly zeek: XPublisher
  readonly sub: TestSubscriber
  metrics(): Promise<string>
  /** Connects the attacker: a raw ZMTP peer past its handshake, and the shipper's RSS just before it came. */
  attacker(): Promise<{ peer: RawPeer; rssBefore: number }>
}

/** Undefined (the test skipped) where the shipper's resident memory cannot be read. */
export async function exposedInput(t: TestContext): Promise<ExposedInput | undefined> {
  const out = `ipc://${join(ipcDir(t), 'out.sock')}`
  const shipper = spawnShipper(t, { ZEEK_ZMQ_INPUTS: 'tcp://127.0.0.1:*', ZEEK_ZMQ_ENDPOINTS: `${out}?name=out&mode=bind` })
  const { url } = (await shipper.logLine('shipper ready')) as { url: string }
  const { inputs } = (await shipper.logLine('input bound')) as { inputs: string[] }
  if (rssBytes(shipper.pid) === undefined) {
    t.skip('no /proc/PID/status here: the resident memory of the shipper cannot be read')
    return undefined
  }
  const metrics = async (): Promise<string> => (await fetch(`${url}/metrics`)).text()
  const sub = await subscriber(t, { connect: out })
  await waitFor(async () => sampleValue(await metrics(), 'zeek_zmq_endpoint_peers', { endpoint: 'out' }) === 1, 'the subscriber')
  const zeek = await publisher(t, inputs[0]!)
  const before = Array.from({ length: 20 }, (_, i) => zeekMessage(i))
  for (const message of before) await zeek.send(message)
  assert.deepEqual(await sub.take(20), before)
  await metrics() // the first scrape allocates prom-client's buffers: not the attack's doing
  const attacker = async (): Promise<{ peer: RawPeer; rssBefore: number }> => {
    const rssBefore = rssBytes(shipper.pid)!
    const peer = await rawConnect(inputs[0]!)
    assert.ok(await peer.handshake(), 'the ZeroMQ handshake')
    return { peer, rssBefore }
  }
  return { shipper, url, input: inputs[0]!, zeek, sub, metrics, attacker }
}
