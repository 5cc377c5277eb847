// Endpoints with a disk spool under the faults it is for: a subscriber that stops reading
// for longer than the memory queue holds, a spool that fills up, and a shipper stopped or
// killed with records spooled. Each ends with the accounting identity, spool term and all:
// input + recovered = sent + filtered + dropped + queued + spooled.

import assert from 'node:assert/strict'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import type { XPublisher } from 'zeromq'
import { spawnShipper, type CliProcess } from '../cli/cli-process.ts'
import { pyzmqPeer } from '../helpers/pyzmq.ts'
import { identityGap, publishAll, sampleValue, startShipper, sumOf, type TestShipper } from '../helpers/shipper.ts'
import { boundAt, ipcDir, publisher, subscriber, waitFor, type TestSubscriber } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'

const all = (n: number, from = 0): Buffer[][] => Array.from({ length: n }, (_, i) => zeekMessage(from + i))

/** A shipper whose one endpoint spools, and its subscriber, subscribed and then reading nothing. */
async function spoolingToStalled(t: TestContext, spoolMax: string): Promise<{ shipper: TestShipper; stalled: TestSubscriber }> {
  const dir = ipcDir(t)
  const stalled = await subscriber(t, { bind: `ipc://${join(dir, 'siem.sock')}` }, { receiveHighWaterMark: 10, stalled: true })
  const shipper = await startShipper(t, { ZEEK_ZMQ_ENDPOINTS: `${boundAt(stalled)}?name=siem&spool=${join(dir, 'spool')}&spool_max=${spoolMax}` })
  stalled.read()
  await waitFor(() => shipper.endpoint('siem').topics === 1, 'the subscription')
  stalled.pause()
  return { shipper, stalled }
}

/** A shipper process whose input has taken n records from a publisher of the test's. */
async function shipperFedWith(t: TestContext, env: Record<string, string>, n: number): Promise<{ first: CliProcess; url: string; pub: XPublisher }> {
  const first = spawnShipper(t, env)
  const { url } = (await first.logLine('shipper ready')) as { url: string }
  const pub = await publisher(t, env.ZEEK_ZMQ_INPUTS!)
  for (const message of all(n)) await pub.send(message)
  await waitFor(async () => sumOf(await metricsOf(url), 'zeek_zmq_input_records_total') === n, 'the input to take every record')
  return { first, url, pub }
}

async function metricsOf(shipper: TestShipper | string): Promise<string> {
  return (await fetch(`${typeof shipper === 'string' ? shipper : shipper.url}/metrics`)).text()
}

test('a subscriber that stops reading for longer than the queue holds: the rest goes to the spool, and everything arrives in order once it reads again', async (t) => {
  const { shipper, stalled } = await spoolingToStalled(t, '64MiB')

  const n = 6000
  await publishAll(shipper, await publisher(t, shipper.input), all(n))
  const during = await metricsOf(shipper)
  const spooled = sampleValue(during, 'zeek_zmq_endpoint_spool_records', { endpoint: 'siem' })
  t.diagnostic(`while stalled: ${spooled} spooled, ${sampleValue(during, 'zeek_zmq_endpoint_queue_records', { endpoint: 'siem' })} queued`)
  assert.ok(spooled > 1000, 'past the queue, records went to the spool')
  assert.equal(sumOf(during, 'zeek_zmq_endpoint_dropped_records_total'), 0, 'nothing dropped')
  assert.equal(identityGap(during, 'siem'), 0)

  stalled.read()
  assert.deepEqual(await stalled.take(n, 60_000), all(n), 'every record, once, in order')
  await waitFor(() => shipper.endpoint('siem').spool.records === 0, 'the spool to empty')
  const after = await metricsOf(shipper)
  assert.equal(identityGap(after, 'siem'), 0)
  assert.equal(sampleValue(after, 'zeek_zmq_endpoint_sent_records_total', { endpoint: 'siem', path: 'dns' }), n / 5)
})

test('spool_max reached: the oldest spooled records are dropped and counted (spool_full), the newest kept', async (t) => {
  const { shipper, stalled } = await spoolingToStalled(t, '1MiB')

  const n = 8000 // about 3.5 MB of records: three times the spool
  await publishAll(shipper, await publisher(t, shipper.input), all(n))
  const text = await metricsOf(shipper)
  const full = sampleValue(text, 'zeek_zmq_endpoint_dropped_records_total', { endpoint: 'siem', reason: 'spool_full' })
  const spoolBytes = sampleValue(text, 'zeek_zmq_endpoint_spool_bytes', { endpoint: 'siem' })
  t.diagnostic(`${full} dropped as spool_full; the spool holds ${spoolBytes} bytes`)
  assert.ok(full > 0, 'the spool overflowed')
  assert.ok(spoolBytes <= 1024 * 1024, `${spoolBytes} bytes on disk, over spool_max`)
  assert.equal(identityGap(text, 'siem'), 0)

  // What arrives: the records before the spool, then the newest ones, each once and in order.
  stalled.read()
  const received = await stalled.quiet(1000)
  const index = received.map((message) => JSON.parse(message[1]!.toString()).uid as string)
  assert.equal(new Set(index).size, index.length, 'no record twice')
  assert.deepEqual(received.at(-1), zeekMessage(n - 1), 'the newest record arrives')
  assert.equal(received.length, n - full)
})

test('SIGTERM with records spooled: the summary says what the spool keeps; the next start sends it first, and /readyz says so meanwhile', async (t) => {
  const dir = ipcDir(t)
  const input = `ipc://${join(dir, 'zeek.sock')}`
  const siem = `ipc://${join(dir, 'siem.sock')}`
  const env = { ZEEK_ZMQ_INPUTS: input, ZEEK_ZMQ_LINGER_MS: '200', ZEEK_ZMQ_ENDPOINTS: `${siem}?name=siem&hwm=100&spool=${join(dir, 'spool')}` }
  const n = 3000
  const { first, url, pub } = await shipperFedWith(t, env, n)
  const readyz = (await (await fetch(`${url}/readyz`)).json()) as { status: string; spooled?: Record<string, number> }
  assert.equal(readyz.status, 'ready')
  assert.ok((readyz.spooled?.siem ?? 0) > 0, `/readyz: ${JSON.stringify(readyz)}`)
  pub.close()

  first.kill('SIGTERM')
  assert.equal((await first.exited).code, 0)
  const summary = first.logs().find((line) => line.msg === 'endpoint summary')!
  assert.deepEqual({ sent: summary.sent, dropped: summary.dropped, left: summary.left, spooled: summary.spooled }, { sent: 0, dropped: 0, left: 0, spooled: n }, 'no subscriber: all of it kept on disk')

  const sub = await subscriber(t, { bind: siem })
  const second = spawnShipper(t, env)
  const { url: url2 } = (await second.logLine('shipper ready')) as { url: string }
  assert.deepEqual(await sub.take(n, 30_000), all(n), 'the spool, in order, once')
  const text = await metricsOf(url2)
  assert.equal(sampleValue(text, 'zeek_zmq_endpoint_spool_recovered_records', { endpoint: 'siem' }), n)
  await waitFor(async () => identityGap(await metricsOf(url2), 'siem') === 0 && sampleValue(await metricsOf(url2), 'zeek_zmq_endpoint_spool_records', { endpoint: 'siem' }) === 0, 'the spool sent and the identity closed')
})

test('SIGKILL while records pour in: after a restart every record the input had taken arrives, once and in order', async (t) => {
  const dir = ipcDir(t)
  const input = `ipc://${join(dir, 'zeek.sock')}`
  const siem = `ipc://${join(dir, 'siem.sock')}`
  const env = { ZEEK_ZMQ_INPUTS: input, ZEEK_ZMQ_ENDPOINTS: `${siem}?name=siem&spool=${join(dir, 'spool')}` }
  // No subscriber until the restart: every record the input takes is in the spool, none in
  // ZeroMQ's buffers, so what the kill can lose is only what the input had not yet read.
  const first = spawnShipper(t, env)
  const { url } = (await first.logLine('shipper ready')) as { url: string }
  const n = 20_000
  const pub = await publisher(t, input)
  let publishing = true
  const published = (async () => {
    for (const [i, message] of all(n).entries()) {
      if (!publishing) break
      await pub.send(message)
      if (i % 1000 === 999) await new Promise((resolve) => setTimeout(resolve, 50)) // 20,000 records/s
    }
  })()
  await waitFor(async () => sumOf(await metricsOf(url), 'zeek_zmq_input_records_total') >= n / 2, 'half of the records')
  const taken = sumOf(await metricsOf(url), 'zeek_zmq_input_records_total')
  first.kill('SIGKILL')
  await first.exited
  publishing = false
  await published

  const sub = await subscriber(t, { bind: siem })
  const second = spawnShipper(t, env)
  const { url: url2 } = (await second.logLine('shipper ready')) as { url: string }
  const recovered = sampleValue(await metricsOf(url2), 'zeek_zmq_endpoint_spool_recovered_records', { endpoint: 'siem' })
  t.diagnostic(`the input had taken ${taken} when the kill was sent; the spool held ${recovered} at the restart`)
  assert.ok(recovered >= taken, 'every record the input took before the kill is in the spool')
  assert.deepEqual(await sub.take(recovered, 30_000), all(recovered), 'the first records published, each once, in order')
  assert.equal((await sub.quiet(300)).length, recovered, 'and nothing more')
})

test('damaged bytes in a spool segment: cut there at the next start and counted exactly, every other record delivered in order', async (t) => {
  const dir = ipcDir(t)
  const input = `ipc://${join(dir, 'zeek.sock')}`
  const siem = `ipc://${join(dir, 'siem.sock')}`
  const spool = join(dir, 'spool')
  // 4 MiB: segments of 512 KiB, so 3000 records of about 480 bytes fill three of them.
  const env = { ZEEK_ZMQ_INPUTS: input, ZEEK_ZMQ_LINGER_MS: '0', ZEEK_ZMQ_ENDPOINTS: `${siem}?name=siem&spool=${spool}&spool_max=4MiB` }
  const n = 3000
  const { first } = await shipperFedWith(t, env, n)
  first.kill('SIGTERM')
  await first.exited

  const segments = readdirSync(spool).filter((name) => name.endsWith('.seg')).sort()
  assert.ok(segments.length >= 2, `${segments.length} segments`)
  const damaged = join(spool, segments[0]!)
  const bytes = readFileSync(damaged)
  bytes[Math.floor(bytes.length / 2)]! ^= 0xff // one flipped byte, half way through the oldest segment
  writeFileSync(damaged, bytes)

  const sub = await subscriber(t, { bind: siem })
  const second = spawnShipper(t, env)
  const { url: url2 } = (await second.logLine('shipper ready')) as { url: string }
  const text = await metricsOf(url2)
  const truncated = sampleValue(text, 'zeek_zmq_endpoint_spool_truncated_records_total', { endpoint: 'siem' })
  const recovered = sampleValue(text, 'zeek_zmq_endpoint_spool_recovered_records', { endpoint: 'siem' })
  t.diagnostic(`${truncated} records cut from the damaged segment, ${recovered} recovered`)
  assert.ok(truncated > 0)
  assert.equal(recovered + truncated, n, 'counted exactly: the next segment says where it starts')
  const received = await sub.take(recovered, 30_000)
  // What arrives is every record but one run: from the damaged record to the end of its segment.
  const keys = all(n).map((message) => message[1]!.toString())
  const got = received.map((message) => keys.indexOf(message[1]!.toString()))
  const gapAt = got.findIndex((index, i) => index !== i)
  assert.ok(gapAt > 0, 'records before the damage arrive')
  assert.deepEqual(got, [...Array.from({ length: gapAt }, (_, i) => i), ...Array.from({ length: recovered - gapAt }, (_, i) => gapAt + truncated + i)])
  await waitFor(async () => identityGap(await metricsOf(url2), 'siem') === 0, 'the identity to close')
})

test('a subscriber SIGKILLed mid-stream and restarted: the records lost with it are one run, no more than its buffers held; the rest arrives in order', async (t) => {
  const dir = ipcDir(t)
  const shipper = await startShipper(t, { ZEEK_ZMQ_ENDPOINTS: `tcp://127.0.0.1:*?name=siem&mode=bind&spool=${join(dir, 'spool')}` })
  const address = shipper.endpoint('siem').address
  const firstLife = await pyzmqPeer(t, { role: 'sub', connect: address })
  await waitFor(() => shipper.endpoint('siem').topics === 1, 'the subscriber')
  const pub = await publisher(t, shipper.input)
  const n = 20_000
  const sent = all(n)
  let killedAfter = 0
  for (const [i, message] of sent.entries()) {
    await pub.send(message)
    if (i % 1000 === 999) await new Promise((resolve) => setTimeout(resolve, 50))
    if (i === n / 2) {
      firstLife.process.kill('SIGKILL')
      await firstLife.process.exited
      killedAfter = firstLife.messages().length
    }
  }
  await waitFor(() => shipper.endpoint('siem').topics === 0, 'the subscription gone with the subscriber')
  const secondLife = await pyzmqPeer(t, { role: 'sub', connect: address })
  await waitFor(() => shipper.endpoint('siem').spool.records === 0, 'the spool to empty', 60_000)
  const before = firstLife.messages().slice(0, killedAfter)
  const after = await (async () => {
    await waitFor(() => secondLife.messages().length > 0, 'the second subscriber')
    await new Promise((resolve) => setTimeout(resolve, 500))
    return secondLife.messages()
  })()
  const keys = sent.map((message) => message[1]!.toString())
  const order = [...before, ...after].map((message) => keys.indexOf(message[1]!.toString()))
  assert.ok(order.every((index, i) => index >= 0 && (i === 0 || index > order[i - 1]!)), 'in order, none twice')
  assert.equal(order.at(-1), n - 1, 'the last record arrives')
  const lost = n - order.length
  const gaps = order.filter((index, i) => i > 0 && index !== order[i - 1]! + 1).length + (order[0] === 0 ? 0 : 1)
  t.diagnostic(`${before.length} before the kill, ${after.length} after; ${lost} lost with the killed subscriber`)
  assert.ok(gaps <= 1, `${gaps} runs of records lost`)
  // ZeroMQ's buffer for it (1000 records), the kernel's (512 KiB, about 1100 Zeek records) and its own (1000 and more).
  assert.ok(lost <= 5000, `${lost} lost`)
})
