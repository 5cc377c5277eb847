// Live reload of the endpoints, in the shipper process as operators run it: SIGHUP, or an
// edit of the ZEEK_ZMQ_CONFIG file, while records flow. Unchanged endpoints lose nothing,
// every other record is accounted for, and an invalid configuration changes nothing.

import assert from 'node:assert/strict'
import { renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { spawnShipper, type CliProcess, type LogLine } from './cli-process.ts'
import { sampleValue, sumOf } from '../helpers/shipper.ts'
import { boundAt, ipcDir, publisher, subscriber, waitFor } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'

/** Writes the settings file as a ConfigMap update does: a new file renamed over the old. */
function writeSettings(file: string, settings: object): void {
  writeFileSync(`${file}.new`, JSON.stringify(settings))
  renameSync(`${file}.new`, file)
}

async function metrics(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text()
}

function logLines(shipper: CliProcess, msg: string): LogLine[] {
  return shipper.logs().filter((line) => line.msg === msg)
}

test('SIGHUP under 20,000 records/s: an endpoint added, one removed, one changed, one kept; the kept one loses nothing and every record is accounted for', async (t) => {
  const dir = ipcDir(t)
  const kept = await subscriber(t, { bind: `ipc://${join(dir, 'kept.sock')}` })
  const removed = await subscriber(t, { bind: `ipc://${join(dir, 'removed.sock')}` })
  const added = await subscriber(t, { bind: `ipc://${join(dir, 'added.sock')}` })
  const changedAddress = `ipc://${join(dir, 'changed.sock')}`
  const file = join(dir, 'shipper.json')
  const endpoint = (sub: typeof kept, name: string, extra = ''): string => `${boundAt(sub)}?name=${name}&hwm=100000${extra}`
  writeSettings(file, { endpoints: [endpoint(kept, 'kept'), endpoint(removed, 'removed'), `${changedAddress}?name=changed&mode=bind&hwm=100000`].join(' ') })
  const input = `ipc://${join(dir, 'zeek.sock')}`
  const shipper = spawnShipper(t, { ZEEK_ZMQ_INPUTS: input, ZEEK_ZMQ_CONFIG: file, ZEEK_ZMQ_LINGER_MS: '3000' })
  const { url } = (await shipper.logLine('shipper ready')) as { url: string }
  const changed = await subscriber(t, { connect: changedAddress })
  const peers = async (name: string): Promise<number> => sampleValue(await metrics(url), 'zeek_zmq_endpoint_peers', { endpoint: name })
  await waitFor(async () => (await peers('kept')) === 1 && (await peers('removed')) === 1 && (await peers('changed')) === 1, 'three subscribers')

  const n = 40_000
  const pub = await publisher(t, input)
  let reloaded = false
  for (let i = 0; i < n; i++) {
    await pub.send(zeekMessage(i))
    if (i % 1000 === 999) await new Promise((resolve) => setTimeout(resolve, 50)) // 20,000 records/s
    if (i === n / 4) {
      writeSettings(file, { endpoints: [endpoint(added, 'added'), `${changedAddress}?name=changed&mode=bind&hwm=50000`, endpoint(kept, 'kept')].join(' ') })
      process.kill(shipper.pid, 'SIGHUP')
    }
    if (i === n / 2) reloaded = (await shipper.logLine('configuration reloaded', 20_000)) !== undefined
  }
  assert.ok(reloaded)
  const report = logLines(shipper, 'configuration reloaded')[0]!
  assert.deepEqual([report.added, report.removed, report.changed, report.unchanged], [['added'], ['removed'], ['changed'], ['kept']])

  // The kept endpoint: every record, in order, as if nothing happened.
  const all = Array.from({ length: n }, (_, i) => zeekMessage(i))
  assert.deepEqual(await kept.take(n, 30_000), all)
  await waitFor(async () => sumOf(await metrics(url), 'zeek_zmq_endpoint_queue_records') === 0, 'every queue to empty', 30_000)
  const text = await metrics(url)
  assert.equal(sumOf(text, 'zeek_zmq_input_records_total'), n)
  const sent = (name: string): number => sumOf(text, 'zeek_zmq_endpoint_sent_records_total', (labels) => labels.includes(`endpoint="${name}"`))
  const dropped = (name: string): number => sumOf(text, 'zeek_zmq_endpoint_dropped_records_total', (labels) => labels.includes(`endpoint="${name}"`))
  assert.equal(sent('kept'), n)
  assert.equal(dropped('kept'), 0)

  // The removed endpoint and the changed one's old socket drained and logged their summaries.
  const summaries = new Map(logLines(shipper, 'endpoint summary').map((line) => [line.endpoint as string, line]))
  const removedSummary = summaries.get('removed')!
  const oldChanged = summaries.get('changed')!
  assert.equal(removedSummary.dropped, 0)
  assert.equal(oldChanged.dropped, 0)
  assert.equal((await removed.quiet(300)).length, removedSummary.sent)
  // Between them the changed endpoint's old and new sockets carried every record once, in order.
  assert.equal((oldChanged.sent as number) + sent('changed'), n)
  assert.deepEqual(await changed.take(n, 30_000), all)
  // The removed endpoint took the records routed before the reload, the added one those after.
  assert.equal((removedSummary.sent as number) + sent('added') + dropped('added'), n)
  assert.equal((await added.quiet(300)).length, sent('added'))
  assert.equal(sampleValue(text, 'zeek_zmq_config_reload_total', { result: 'success' }), 1)
  assert.equal(sampleValue(text, 'zeek_zmq_config_reload_total', { result: 'failure' }), 0)
})

test('an invalid configuration file is refused with every problem named, and the running endpoints carry on', async (t) => {
  const dir = ipcDir(t)
  const siem = await subscriber(t, { bind: `ipc://${join(dir, 'siem.sock')}` })
  const file = join(dir, 'shipper.json')
  writeSettings(file, { endpoints: `${boundAt(siem)}?name=siem` })
  const input = `ipc://${join(dir, 'zeek.sock')}`
  const shipper = spawnShipper(t, { ZEEK_ZMQ_INPUTS: input, ZEEK_ZMQ_CONFIG: file })
  const { url } = (await shipper.logLine('shipper ready')) as { url: string }

  // No SIGHUP: the file's change alone reloads it.
  writeSettings(file, { endpoints: `${boundAt(siem)}?name=siem&hwm=lots tcp://127.0.0.1:1?name=siem`, hwm: -1 })
  const refusal = await shipper.logLine('reload refused; the running configuration is kept')
  const problems = (refusal.problems as string[]).join('\n')
  assert.match(problems, /hwm/)
  assert.match(problems, /ZEEK_ZMQ_ENDPOINTS \(or "endpoints" in .*shipper\.json\).*siem/s)
  assert.ok((refusal.problems as string[]).length >= 2, problems)
  await waitFor(async () => sampleValue(await metrics(url), 'zeek_zmq_config_reload_total', { result: 'failure' }) === 1, 'the failure counted')

  const pub = await publisher(t, input)
  for (let i = 0; i < 10; i++) await pub.send(zeekMessage(i))
  assert.deepEqual(await siem.take(10), Array.from({ length: 10 }, (_, i) => zeekMessage(i)))
  assert.equal(logLines(shipper, 'configuration reloaded').length, 0)
})
