// Done-when check of the shipper as users start it: `npm start` with two endpoints
// delivers a stream published by a ZeroMQ client none of us wrote (pyzmq, Debian's
// python3-zmq) to both subscribers, byte for byte, with the metrics to match.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { sampleValue } from '../helpers/shipper.ts'
import { spawnShipper } from './cli-process.ts'
import { boundAt, ipcDir, subscriber, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'

const PYTHON = '/usr/bin/python3'
const havePyzmq = spawnSync(PYTHON, ['-c', 'import zmq'], { encoding: 'utf8' }).status === 0

// A plain PUB socket, as Zeek's writer uses. Like the writer's zmq_connect_pause, it waits
// for the connection (here: the handshake, seen on a monitor socket) before publishing.
const PUBLISHER = `
import sys, time, zmq
from zmq.utils.monitor import recv_monitor_message
address, records = sys.argv[1], sys.argv[2]
ctx = zmq.Context()
pub = ctx.socket(zmq.PUB)
pub.setsockopt(zmq.SNDHWM, 0)
monitor = pub.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
pub.connect(address)
if not monitor.poll(10000):
    sys.exit("no handshake with the shipper's input")
recv_monitor_message(monitor)
pub.disable_monitor()
monitor.close()
time.sleep(0.2)  # the subscription follows the handshake
with open(records, "rb") as f:
    for line in f:
        path, record = line.rstrip(b"\\n").split(b"\\t", 1)
        pub.send_multipart([path, record])
pub.setsockopt(zmq.LINGER, 5000)
pub.close()
ctx.term()
`

test('npm start: a pyzmq PUB stream reaches two subscribers byte for byte', { skip: havePyzmq ? false : `${PYTHON} cannot import zmq: install Debian's python3-zmq` }, async (t) => {
  const dir = ipcDir(t)
  const n = 2000
  const messages = Array.from({ length: n }, (_, i) => zeekMessage(i))
  const records = join(dir, 'records.tsv')
  writeFileSync(records, Buffer.concat(messages.flatMap(([path, record]) => [path, Buffer.from('\t'), record, Buffer.from('\n')])))
  const script = join(dir, 'publish.py')
  writeFileSync(script, PUBLISHER)

  const siem = await subscriber(t, { bind: 'tcp://127.0.0.1:*' })
  const archive = await subscriber(t, { bind: `ipc://${join(dir, 'archive.sock')}` })
  const input = `ipc://${join(dir, 'zeek.sock')}`
  const shipper = spawnShipper(t, { ZEEK_ZMQ_INPUTS: input, ZEEK_ZMQ_ENDPOINTS: `${boundAt(siem)}?name=siem ${boundAt(archive)}?name=archive` }, ['npm', 'start', '--silent'])
  const { url } = (await shipper.logLine('shipper ready', 120_000)) as { url: string }
  // Ready means the endpoints' sockets are set up, not that their connections to the two
  // subscribers are made: until then records wait in queues of hwm (1000) records, and
  // 2000 published at once on a loaded machine would overflow them.
  const peers = async (endpoint: string) => sampleValue(await (await fetch(`${url}/metrics`)).text(), 'zeek_zmq_endpoint_peers', { endpoint })
  await waitFor(async () => (await peers('siem')) === 1 && (await peers('archive')) === 1, 'both endpoints to reach their subscribers', 30_000, 100)

  const publish = spawnSync(PYTHON, [script, input, records], { encoding: 'utf8', timeout: 60_000 })
  assert.equal(publish.status, 0, publish.stderr)

  assert.deepEqual(await siem.take(n), messages)
  assert.deepEqual(await archive.take(n), messages)
  const metrics = await (await fetch(`${url}/metrics`)).text()
  assert.equal(sampleValue(metrics, 'zeek_zmq_input_records_total', { path: 'conn' }), n / 5)
  for (const endpoint of ['siem', 'archive']) {
    assert.equal(sampleValue(metrics, 'zeek_zmq_endpoint_sent_records_total', { endpoint, path: 'http' }), n / 5)
    assert.equal(sampleValue(metrics, 'zeek_zmq_endpoint_peers', { endpoint }), 1)
  }

  // Signal the shipper itself (its pid is in every log line); npm exits as it does.
  const { pid } = (await shipper.logLine('shipper ready')) as { pid: number }
  assert.notEqual(pid, shipper.pid)
  process.kill(pid, 'SIGTERM')
  const { code } = await shipper.exited
  assert.equal(code, 0, shipper.stderr())
  assert.equal(shipper.logs().filter((l) => l.msg === 'endpoint summary').length, 2)
})
