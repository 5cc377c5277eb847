// A sensor that keeps up: the Zeek image as a cluster (ZEEK_WORKERS=2) capturing live with
// AF_PACKET fan-out, with real packets. The test makes a network namespace of its own (a
// parked container's) with a veth pair in it: Zeek's workers capture on one end, and
// tcpreplay sends the large capture into the other at a fixed rate. Every flow's conn
// record reaches the shipper's subscriber exactly once (the same flows as one Zeek process
// logs from the capture file), both workers saw packets, and `docker stop` ends the
// cluster in order with exit 0 and nothing left behind in the loggers' writers.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { GenericContainer } from 'testcontainers'
import { samples } from '../helpers/shipper.ts'
import { waitFor } from '../helpers/sockets.ts'
import { buildZeekImage, ContainerOutput, dockerEngine, exitCode, removeAfter } from './docker.ts'
import { captureDir, makeCapture, RecordsByPath, startShipper, startZeek, waitForExit, zeekLogLines, zeekSkipReason } from './zeek-sensor.ts'

const FLOWS = 2_000
const TELEMETRY_PORT = 9911 // inside the test's own network namespace
const WORKER_PORTS = { 'worker-1': TELEMETRY_PORT + 3, 'worker-2': TELEMETRY_PORT + 4 } // manager, logger-1, proxy-1, then the workers

function tools(): string | false {
  if (process.getuid?.() !== 0) return 'making a veth pair in a network namespace needs root'
  for (const tool of ['nsenter', 'ip', 'tcpreplay']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed here (Debian: util-linux, iproute2, tcpreplay)`
  }
  return false
}

const zeekReason = await zeekSkipReason()
const toolReason = tools()
if (toolReason !== false && process.env.SHIPPER_TESTS_REQUIRE_ZEEK === '1') throw new Error(`the Zeek cluster test must run here (SHIPPER_TESTS_REQUIRE_ZEEK=1), but ${toolReason}`)
const skip = zeekReason || toolReason

/** Runs a command in the network namespace of the process `pid`. */
function inNetns(pid: number, ...command: string[]): string {
  const result = spawnSync('nsenter', ['-t', String(pid), '-n', ...command], { encoding: 'utf8' })
  assert.equal(result.status, 0, `${command.join(' ')}: ${result.stderr}`)
  return result.stdout
}

function fiveTuple(record: string): string {
  const r = JSON.parse(record) as Record<string, unknown>
  return [r['id.orig_h'], r['id.orig_p'], r['id.resp_h'], r['id.resp_p'], r.proto].join(' ')
}

test('ZEEK_WORKERS=2 on a live interface: every flow once, both workers busy, an ordered stop with exit 0', { skip, timeout: 900_000 }, async (t) => {
  const client = (await dockerEngine()).client!
  const pcap = makeCapture(captureDir(t), 'large', FLOWS)
  const shipper = await startShipper(t, client)
  const records = await RecordsByPath.connect(t, shipper.endpointPort)

  // What one Zeek process logs from the capture file: the flows to expect.
  const reference = await startZeek(t, client, shipper, pcap)
  assert.equal(await waitForExit(client, reference.container, 300_000), 0, reference.output.text())
  const expected = zeekLogLines(reference.logDir).get('conn')!.map(fiveTuple)
  assert.equal(new Set(expected).size, expected.length)
  await records.settle(1, 60_000)
  records.clear()

  // The network namespace, parked in a container that does nothing, with the veth pair.
  const parked = await new GenericContainer('debian:bookworm-slim').withCommand(['sleep', 'infinity']).start()
  removeAfter(t, client, parked)
  const netns = (await client.container.inspect(client.container.getById(parked.getId()))).State.Pid
  inNetns(netns, 'ip', 'link', 'add', 'zeek0', 'type', 'veth', 'peer', 'name', 'replay0')
  for (const link of ['zeek0', 'replay0']) inNetns(netns, 'ip', 'link', 'set', link, 'up')

  const output = new ContainerOutput()
  const zeek = await (await buildZeekImage())
    .withNetworkMode(`container:${parked.getId()}`)
    .withAddedCapabilities('NET_RAW', 'NET_ADMIN')
    .withBindMounts([{ source: shipper.socketDir, target: '/run/zeek-zmq', mode: 'rw' }])
    .withEnvironment({ ZEEK_INTERFACE: 'zeek0', ZEEK_WORKERS: '2', ZEEK_AF_PACKET_BUFFER_MB: '16', ZEEK_TELEMETRY_PORT: String(TELEMETRY_PORT), ZEEK_SHIPPER_WAIT_S: '30' })
    .withLogConsumer(output.consume)
    .start()
  removeAfter(t, client, zeek)
  await output.waitFor(/zeek-cluster: running 5 nodes: manager logger-1 proxy-1 worker-1 worker-2/, 120_000)

  // Ready when both workers are peered with the logger: their cluster log says so, through
  // the logger's ZeroMQ writer and the shipper.
  const workerHello = (worker: string) => (records.take(), records.byPath.get('cluster') ?? []).some((r) => r.includes(`"node":"${worker}"`) && r.includes('got hello from logger-1'))
  await waitFor(() => workerHello('worker-1') && workerHello('worker-2'), 'both workers to join the logger', 120_000, 250)

  inNetns(netns, 'tcpreplay', '-q', '-i', 'replay0', '--pps=4000', pcap)
  await waitFor(() => (records.take(), (records.byPath.get('dns')?.length ?? 0) >= FLOWS), `the ${FLOWS} DNS records`, 120_000, 250)
  const packets: Record<string, number> = {}
  for (const [worker, port] of Object.entries(WORKER_PORTS)) {
    const text = inNetns(netns, process.execPath, '-e', `fetch('http://127.0.0.1:${port}/metrics').then(r => r.text()).then(t => process.stdout.write(t))`)
    packets[worker] = samples(text, 'zeek_net_received_packets_total')[0]?.value ?? 0
  }
  t.diagnostic(`packets per worker: ${JSON.stringify(packets)}`)
  for (const [worker, n] of Object.entries(packets)) assert.ok(n > 0, `${worker} saw no packets: ${JSON.stringify(packets)}`)

  // docker stop: workers first, the logger last; everything the workers logged (the open
  // UDP flows are logged as they stop) arrives, once.
  await zeek.stop({ timeout: 60_000, remove: false })
  assert.equal(await exitCode(client, zeek), 0, output.text())
  assert.match(output.text(), /zeek-cluster: stopped in order: workers, proxy and manager, loggers/)
  await records.settle(expected.length, 60_000)
  const got = (records.byPath.get('conn') ?? []).map(fiveTuple)
  assert.equal(got.length, new Set(got).size, 'a flow arrived twice')
  assert.deepEqual([...got].sort(), [...expected].sort())
})
