// Zeek's side of the metrics, from a running Zeek: the series that the dashboard and the
// alert rules take from Zeek's telemetry exist with the labels and label values they
// select, and once Zeek has read a capture, its writes to the ZeroMQ writer per log path
// equal the shipper's accepted input per path, which is what the dashboard's "loss on the
// Zeek hop" compares. With disk logs off, Zeek writes nothing through its ASCII writer.

import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { samples } from '../helpers/shipper.ts'
import { waitFor } from '../helpers/sockets.ts'
import { dashboardExpressions, metricNames, ruleExpressions } from '../monitoring/promql.ts'
import { dockerEngine, freePorts } from './docker.ts'
import { captureDir, labelled, makeCapture, startShipper, startZeek, waitForExit, zeekSkipReason } from './zeek-sensor.ts'

const skip = await zeekSkipReason()

/** Zeek's own metrics named by the dashboard and the rules, with the label matchers they use. */
function zeekSelectors(): Array<{ source: string; metric: string; matchers: Array<[string, string]> }> {
  const found: Array<{ source: string; metric: string; matchers: Array<[string, string]> }> = []
  for (const { source, expr } of [...dashboardExpressions(), ...ruleExpressions()]) {
    for (const metric of metricNames(expr).filter((name) => name.startsWith('zeek_') && !name.startsWith('zeek_zmq_'))) {
      for (const match of expr.matchAll(new RegExp(`\\b${metric}\\s*(?:\\{([^}]*)\\})?`, 'g'))) {
        // Exact matchers on fixed values; matchers on dashboard variables depend on the scrape.
        const matchers = [...(match[1] ?? '').matchAll(/(\w+)\s*=\s*"([^"$]*)"/g)].map((m) => [m[1]!, m[2]!] as [string, string])
        found.push({ source, metric, matchers })
      }
    }
  }
  return found
}

test("Zeek's telemetry: the series the dashboard and alerts use exist, and Zeek's ZeroMQ writes per path equal the shipper's input", { skip, timeout: 600_000 }, async (t) => {
  const client = (await dockerEngine()).client!
  const shipper = await startShipper(t, client)
  const [telemetryPort] = await freePorts(1)
  const pcaps = captureDir(t)
  // Zeek keeps records in its writers' buffers until something flushes them; a run that
  // stays up after its capture (below) must flush once the file is done, as a run that
  // exits does on its way out.
  writeFileSync(join(pcaps, 'flush.zeek'), 'event Pcap::file_done(path: string)\n\t{\n\tfor ( id in Log::active_streams )\n\t\tLog::flush(id);\n\t}\n')
  const zeek = await startZeek(t, client, shipper, makeCapture(pcaps, 'mixed'), {
    ZEEK_DISK_LOGS: 'false',
    ZEEK_TELEMETRY_PORT: String(telemetryPort),
    // Zeek's metrics endpoint listens where ZEEK_DEFAULT_LISTEN_ADDRESS says: loopback here.
    ZEEK_DEFAULT_LISTEN_ADDRESS: '127.0.0.1',
    // Zeek stays up after the capture, so that its telemetry can be read.
    ZEEK_SCRIPTS: 'local exit_only_after_terminate=T /pcaps/flush.zeek',
  })
  const zeekMetrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${telemetryPort}/metrics`)).text()

  // Zeek's writes reach the shipper: wait until both sides agree and stay so.
  let writes = new Map<string, number>()
  let input = new Map<string, number>()
  const agree = async (): Promise<boolean> => {
    const text = await zeekMetrics()
    writes = labelled(samples(text, 'zeek_log_writer_writes_total').filter((s) => s.labels.includes('writer="Log::WRITER_ZEROMQ"')), 'path')
    input = await shipper.inputRecords()
    return writes.size > 0 && [...writes].every(([path, n]) => input.get(path) === n) && [...input].every(([path, n]) => n === 0 || writes.has(path))
  }
  await waitFor(agree, "Zeek's ZeroMQ writes per path to equal the shipper's input per path", 120_000, 500)
  await new Promise((resolve) => setTimeout(resolve, 2_000))
  assert.ok(await agree(), `after a pause: Zeek wrote ${JSON.stringify([...writes])}, the shipper took ${JSON.stringify([...input])}`)
  for (const path of ['dns', 'http', 'files', 'ssl', 'x509']) assert.ok((writes.get(path) ?? 0) > 0, `Zeek wrote no ${path} records to the ZeroMQ writer: ${JSON.stringify([...writes])}`)

  const text = await zeekMetrics()
  const writerSamples = samples(text, 'zeek_log_writer_writes_total')
  for (const label of ['writer', 'stream', 'module', 'path', 'filter_name']) {
    assert.ok(writerSamples.every((s) => new RegExp(`(?:^|,)${label}="`).test(s.labels)), `every zeek_log_writer_writes_total sample has a ${label} label`)
  }
  assert.ok(writerSamples.some((s) => s.labels.includes('stream="DNS::LOG"') && s.labels.includes('filter_name="default-zmq"')))
  // Disk logs off: Zeek's ASCII writer writes nothing at all, from the first record on.
  assert.deepEqual(writerSamples.filter((s) => s.labels.includes('writer="Log::WRITER_ASCII"')), [])

  const selectors = zeekSelectors()
  assert.ok(selectors.some((s) => s.metric === 'zeek_log_writer_writes_total'), 'the dashboard compares Zeek\'s writes with the shipper\'s input')
  for (const { source, metric, matchers } of selectors) {
    const series = samples(text, metric)
    assert.ok(series.length > 0, `${source} uses ${metric}, which Zeek does not export`)
    const matching = series.filter((s) => matchers.every(([label, value]) => s.labels.split(/,(?=\w+=")/).includes(`${label}="${value}"`)))
    assert.ok(matching.length > 0, `${source}: no series of ${metric} has ${matchers.map(([l, v]) => `${l}="${v}"`).join(', ')}`)
  }

  await zeek.container.stop({ timeout: 20_000, remove: false })
  assert.equal(await waitForExit(client, zeek.container, 30_000), 0, zeek.output.text())
})
