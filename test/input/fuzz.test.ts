// The input under fuzzing: 100,000 random and mutated messages and truncated ZMTP through a
// live shipper (see test/fuzz/input-fuzz.ts; FUZZ_SEED replays a run).

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fuzzInput, fuzzSeed } from '../fuzz/input-fuzz.ts'
import { rssBytes } from '../helpers/zmtp-raw.ts'

test('100,000 fuzzed messages: the shipper stays up and ready, within its memory bound, counts exactly, and its accounting closes', async (t) => {
  if (rssBytes(process.pid) === undefined) {
    t.skip('no /proc/PID/status here: the resident memory of the shipper cannot be read')
    return
  }
  const seed = fuzzSeed()
  t.diagnostic(`FUZZ_SEED=${seed}`)
  const report = await fuzzInput({ messages: 100_000, seed, log: (line) => t.diagnostic(line) })
  const MiB = 1024 * 1024
  t.diagnostic(
    `${report.read} read (${report.accepted} accepted), ${report.rawConnections} raw connections, ${report.seconds.toFixed(1)} s; ` +
      `RSS ${(report.rssStartBytes / MiB).toFixed(1)} -> peak ${(report.rssPeakBytes / MiB).toFixed(1)} MiB (bound ${(report.rssBoundBytes / MiB).toFixed(1)})`,
  )
  t.diagnostic(`rejected ${JSON.stringify(report.rejected)}; connections ended ${JSON.stringify(report.disconnects)}`)
  assert.deepEqual(report.problems, [], `FUZZ_SEED=${seed}`)
  assert.ok(report.read > 90_000, `only ${report.read} messages reached the input`)
})
