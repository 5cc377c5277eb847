// Zeek for real, record for record: the Zeek image reads three captures in turn (the demo;
// a mix of DNS over TCP, HTTP with several files and an upload, TLS with a certificate
// chain and a two-hour connection; and tens of thousands of records from ten thousand
// clients) beside one shipper, with its own ASCII logs on in JSON. For every path Zeek
// wrote, a subscriber of the shipper receives exactly Zeek's lines, byte for byte, and
// the shipper's input counters agree. Zeek starting three times against one running
// shipper also shows records resuming after a Zeek restart, none counted twice.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { dockerEngine } from './docker.ts'
import {
  assertSameRecords,
  captureDir,
  EXCLUDED_BY_DEFAULT,
  expectedCount,
  makeCapture,
  RecordsByPath,
  startShipper,
  startZeek,
  waitForExit,
  zeekLogLines,
  zeekSkipReason,
} from './zeek-sensor.ts'

const skip = await zeekSkipReason()

const CAPTURES = [
  { scenario: 'demo', paths: ['conn', 'dns', 'http', 'ssl', 'files', 'x509'] },
  { scenario: 'mixed', paths: ['conn', 'dns', 'http', 'ssl', 'files', 'x509', 'known_certs', 'notice', 'stats'] },
  { scenario: 'large', flows: 10_000, paths: ['conn', 'dns', 'http', 'files', 'known_hosts', 'software'] },
] as const

test("Zeek's records reach a subscriber exactly as Zeek logs them, capture after capture, with one shipper", { skip, timeout: 900_000 }, async (t) => {
  const client = (await dockerEngine()).client!
  const pcaps = captureDir(t)
  const shipper = await startShipper(t, client)
  const records = await RecordsByPath.connect(t, shipper.endpointPort)
  const totals = new Map<string, number>()

  for (const capture of CAPTURES) {
    await t.test(`${capture.scenario}${'flows' in capture ? ` (${capture.flows} flows)` : ''}`, async () => {
      const pcap = makeCapture(pcaps, capture.scenario, 'flows' in capture ? capture.flows : undefined)
      const zeek = await startZeek(t, client, shipper, pcap)
      assert.equal(await waitForExit(client, zeek.container, 300_000), 0, zeek.output.text())

      const logs = zeekLogLines(zeek.logDir)
      for (const path of capture.paths) assert.ok((logs.get(path)?.length ?? 0) > 0, `Zeek logged no ${path} records for this capture: ${[...logs.keys()].join(', ')}`)
      for (const path of EXCLUDED_BY_DEFAULT) if (path !== 'telemetry_histogram') assert.ok(logs.has(path), `Zeek wrote no ${path}.log: the exclusion below proves nothing`)

      const expected = Object.fromEntries([...logs].filter(([path]) => !EXCLUDED_BY_DEFAULT.has(path)).map(([path, lines]) => [path, lines.length]).sort())
      await records.settle(expectedCount(logs), 120_000).catch(async (err: unknown) => {
        throw new Error(`${(err as Error).message}; Zeek logged ${JSON.stringify(expected)}; the shipper took ${JSON.stringify(Object.fromEntries(await shipper.inputRecords()))}`)
      })
      assertSameRecords(logs, records.byPath)
      records.clear()

      // The shipper counted each record once, across Zeek's restarts.
      for (const [path, lines] of logs) if (!EXCLUDED_BY_DEFAULT.has(path)) totals.set(path, (totals.get(path) ?? 0) + lines.length)
      assert.deepEqual(Object.fromEntries([...(await shipper.inputRecords())].filter(([, n]) => n > 0).sort()), Object.fromEntries([...totals].sort()))
    })
  }
})
