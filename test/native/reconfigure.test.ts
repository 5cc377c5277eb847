// Changing the native plane's endpoints while records flow (reconfigure, which SIGHUP and
// a change of the ZEEK_ZMQ_CONFIG file call): the assertions of test/cli/reload.test.ts,
// against the plane itself with real sockets. An unchanged endpoint loses nothing, a
// changed one's old and new sockets carry every record once and in order, a removed and
// an added one split the rest exactly.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { loadConfig } from '../../src/config/load-config.ts'
import type { EndpointSummary } from '../../src/plane/data-plane.ts'
import { boundAt, ipcDir, publisher, subscriber, TRANSPORTS, waitFor, type TestSubscriber } from '../helpers/sockets.ts'
import { zeekMessage } from '../helpers/zeek-records.ts'
import { NO_NATIVE, startNativePlane, unaccounted } from './native-plane.ts'

const INPUT = 'tcp://127.0.0.1:*'
const dropped = (e: { dropped: Record<string, number> }): number => Object.values(e.dropped).reduce((sum, n) => sum + n, 0)

describe('native reconfigure', { skip: NO_NATIVE }, () => {
  for (const transport of TRANSPORTS) {
    test(`under 20,000 records/s over ${transport}: an endpoint added, one removed, one changed, one kept; every record accounted for`, async (t) => {
      const dir = ipcDir(t)
      const at = (name: string): string => (transport === 'ipc' ? `ipc://${join(dir, `${name}.sock`)}` : 'tcp://127.0.0.1:*')
      const kept = await subscriber(t, { bind: at('kept') })
      const removed = await subscriber(t, { bind: at('removed') })
      const added = await subscriber(t, { bind: at('added') })
      const endpoint = (sub: TestSubscriber, name: string): string => `${boundAt(sub)}?name=${name}&hwm=100000`
      // A changed bind endpoint keeps its address: the new socket takes it over from the old.
      const changedAt = transport === 'ipc' ? at('changed') : 'tcp://127.0.0.1:*'
      const env = { ZEEK_ZMQ_LINGER_MS: '3000', ZEEK_ZMQ_INPUTS: INPUT }
      const plane = await startNativePlane(t, { ...env, ZEEK_ZMQ_ENDPOINTS: [endpoint(kept, 'kept'), endpoint(removed, 'removed'), `${changedAt}?name=changed&mode=bind&hwm=100000`].join(' ') })
      const changedAddress = plane.endpoint('changed').address
      const changed = await subscriber(t, { connect: changedAddress })
      await waitFor(() => ['kept', 'removed', 'changed'].every((name) => plane.endpoint(name).topics === 1), 'three subscriptions')

      const next = loadConfig({ ...env, ZEEK_ZMQ_ENDPOINTS: [endpoint(added, 'added'), `${changedAddress}?name=changed&mode=bind&hwm=50000`, endpoint(kept, 'kept')].join(' ') })
      const n = 40_000
      const pub = await publisher(t, plane.input)
      let reconfigured: ReturnType<typeof plane.plane.reconfigure> | undefined
      for (let i = 0; i < n; i++) {
        await pub.send(zeekMessage(i))
        if (i % 1000 === 999) await new Promise((resolve) => setTimeout(resolve, 50)) // 20,000 records/s
        if (i === n / 4) reconfigured = plane.plane.reconfigure(next.endpoints)
      }
      const report = await reconfigured!
      assert.deepEqual([report.added, report.removed, report.changed, report.unchanged, report.failed], [['added'], ['removed'], ['changed'], ['kept'], []])
      assert.deepEqual(
        plane.snapshot().endpoints.map((e) => e.name),
        ['added', 'changed', 'kept'],
      )

      // The kept endpoint: every record, in order, as if nothing happened.
      const all = Array.from({ length: n }, (_, i) => zeekMessage(i))
      assert.deepEqual(await kept.take(n, 30_000), all)
      await waitFor(() => plane.snapshot().paths.reduce((sum, path) => sum + path.records, 0) === n, 'the input to take every record')
      await waitFor(() => plane.snapshot().endpoints.every((e) => e.queueRecords === 0), 'every queue to empty', 30_000)
      const snapshot = plane.snapshot()
      const now = (name: string) => snapshot.endpoints.find((e) => e.name === name)!
      assert.equal(now('kept').sent, n)
      assert.equal(dropped(now('kept')), 0)
      assert.equal(unaccounted(snapshot, snapshot.endpoints.indexOf(now('kept'))), 0)

      // The removed endpoint and the changed one's old socket drained and reported.
      const summaries = new Map(report.summaries.map((summary): [string, EndpointSummary] => [summary.endpoint, summary]))
      const removedSummary = summaries.get('removed')!
      const oldChanged = summaries.get('changed')!
      assert.equal(removedSummary.dropped, 0)
      assert.equal(oldChanged.dropped, 0)
      assert.ok(removedSummary.sent > 0 && removedSummary.sent < n, `the removed endpoint took the records before the change (${removedSummary.sent})`)
      assert.equal((await removed.quiet(300)).length, removedSummary.sent)
      // Between them the changed endpoint's old and new sockets carried every record once, in order.
      assert.equal(oldChanged.sent + now('changed').sent, n)
      assert.deepEqual(await changed.take(n, 30_000), all)
      assert.equal((await changed.quiet(300)).length, n)
      // The removed endpoint took the records routed before the change, the added one those after.
      assert.equal(removedSummary.sent + now('added').sent + dropped(now('added')), n)
      assert.deepEqual(await added.quiet(300), all.slice(removedSummary.sent, removedSummary.sent + now('added').sent))
      assert.equal(now('added').filtered + now('changed').filtered + removedSummary.filtered + oldChanged.filtered, 0)
      // Each path's filters were decided again for the new order.
      for (const path of snapshot.paths) assert.deepEqual(path.admitted, [true, true, true])
      assert.equal(snapshot.internalErrors, 0)
    })
  }

  test('an endpoint that cannot open is reported as failed and named by readiness; the others carry on', async (t) => {
    const dir = ipcDir(t)
    const siem = await subscriber(t, { bind: `ipc://${join(dir, 'siem.sock')}` })
    const env = { ZEEK_ZMQ_INPUTS: INPUT, ZEEK_ZMQ_LINGER_MS: '200' }
    const plane = await startNativePlane(t, { ...env, ZEEK_ZMQ_ENDPOINTS: `${boundAt(siem)}?name=siem` })
    await waitFor(() => plane.endpoint('siem').topics === 1, 'the subscription')
    // Another socket holds the port the new endpoint is to bind.
    const squatter = await subscriber(t, { bind: 'tcp://127.0.0.1:*' })
    const next = loadConfig({ ...env, ZEEK_ZMQ_ENDPOINTS: `${boundAt(siem)}?name=siem ${boundAt(squatter)}?name=taken&mode=bind` })
    const report = await plane.plane.reconfigure(next.endpoints)
    assert.deepEqual([report.added, report.unchanged, report.failed.map((f) => f.endpoint)], [['taken'], ['siem'], ['taken']])
    assert.match(report.failed[0]!.error, /cannot bind .*Address already in use/)
    assert.deepEqual(plane.plane.readiness().waitingFor, ['endpoint taken'])

    const pub = await publisher(t, plane.input)
    for (let i = 0; i < 10; i++) await pub.send(zeekMessage(i))
    assert.deepEqual(await siem.take(10), Array.from({ length: 10 }, (_, i) => zeekMessage(i)))
    // The same set again changes nothing.
    const again = await plane.plane.reconfigure(next.endpoints)
    assert.deepEqual([again.unchanged, again.summaries, again.failed], [['siem', 'taken'], [], []])
    // The plane stops with the failed endpoint's records counted.
    const summaries = await plane.plane.stop()
    assert.deepEqual(summaries, [
      { endpoint: 'siem', sent: 10, dropped: 0, left: 0, filtered: 0 },
      { endpoint: 'taken', sent: 0, dropped: 10, left: 10, filtered: 0 },
    ])
  })

  test('a stop during a reconfigure: the retired endpoint drains within its linger, nothing is counted twice', async (t) => {
    const dir = ipcDir(t)
    const env = { ZEEK_ZMQ_INPUTS: INPUT, ZEEK_ZMQ_LINGER_MS: '2000' }
    const plane = await startNativePlane(t, { ...env, ZEEK_ZMQ_ENDPOINTS: `ipc://${join(dir, 'old.sock')}?name=old&mode=bind` })
    const pub = await publisher(t, plane.input)
    for (let i = 0; i < 100; i++) await pub.send(zeekMessage(i))
    await waitFor(() => plane.endpoint('old').queueRecords === 100, 'records held for a subscriber not there')
    const next = loadConfig({ ...env, ZEEK_ZMQ_ENDPOINTS: `ipc://${join(dir, 'old.sock')}?name=old&mode=bind&hwm=500` })
    const reconfigured = plane.plane.reconfigure(next.endpoints)
    await waitFor(() => plane.endpoint('old').queueCapacity === 500, 'the new set in place')
    for (let i = 100; i < 150; i++) await pub.send(zeekMessage(i))
    const [summaries, report] = await Promise.all([plane.plane.stop(), reconfigured])
    // The old socket held 100 records for its linger; the new one never opened and held the 50 after.
    assert.deepEqual(report.summaries, [{ endpoint: 'old', sent: 0, dropped: 100, left: 100, filtered: 0 }])
    assert.deepEqual(report.failed, [{ endpoint: 'old', error: 'the plane is stopping' }])
    assert.deepEqual(summaries, [{ endpoint: 'old', sent: 0, dropped: 50, left: 50, filtered: 0 }])
  })
})
