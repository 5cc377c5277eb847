// Test factory for the native data plane: configured through the same environment
// variables operators use, with the input on loopback; aborted after the test. Skips when
// the addon is not built, unless ZZS_REQUIRE_NATIVE=1 (CI, the sanitizer run) makes that a failure.

import type { TestContext } from 'node:test'
import { pino } from 'pino'
import { loadConfig } from '../../src/config/load-config.ts'
import type { DataPlane, DataPlaneSnapshot, EndpointSnapshot } from '../../src/plane/data-plane.ts'
import { loadNativePlane } from '../../src/plane/native-plane.ts'
import { waitFor } from '../helpers/sockets.ts'

const load = loadNativePlane()

/** Why the native tests cannot run here, or false when they can. */
export const NO_NATIVE: string | false = 'unavailable' in load && process.env.ZZS_REQUIRE_NATIVE !== '1' ? load.unavailable : false

export interface TestPlane {
  readonly plane: DataPlane
  /** Where a publisher connects: the input's bound address. */
  readonly input: string
  snapshot(): DataPlaneSnapshot
  endpoint(name: string): EndpointSnapshot
  /** Records and rejects the input has taken so far. */
  inputSeen(): number
}

export async function startNativePlane(t: TestContext, env: Record<string, string>): Promise<TestPlane> {
  if ('unavailable' in load) throw new Error(load.unavailable)
  const config = loadConfig({ ZEEK_ZMQ_INPUTS: 'tcp://127.0.0.1:*', ...env })
  const plane = load.create(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }))
  t.after(() => plane.abort())
  await plane.start()
  const snapshot = (): DataPlaneSnapshot => plane.snapshot()
  return {
    plane,
    input: snapshot().input.addresses[0]!,
    snapshot,
    endpoint(name) {
      const found = snapshot().endpoints.find((endpoint) => endpoint.name === name)
      if (found === undefined) throw new Error(`no endpoint ${name}`)
      return found
    },
    inputSeen() {
      const now = snapshot()
      return now.paths.reduce((sum, path) => sum + path.records, 0) + Object.values(now.input.rejected).reduce((sum, n) => sum + n, 0)
    },
  }
}

/** Waits until the plane's input has taken `n` more messages than `before`. */
export async function inputTook(plane: TestPlane, before: number, n: number): Promise<void> {
  await waitFor(() => plane.inputSeen() >= before + n, `the input to take ${n} messages (has ${plane.inputSeen() - before})`)
}

/** The identity every endpoint keeps: what the router gave it is sent, filtered, dropped or queued. */
export function unaccounted(snapshot: DataPlaneSnapshot, index: number): number {
  const records = snapshot.paths.reduce((sum, path) => sum + path.records, 0)
  const e = snapshot.endpoints[index]!
  const dropped = e.dropped.queue_full + e.dropped.memory_limit + e.dropped.shutdown
  return records - (e.sent + e.filtered + dropped + e.queueRecords)
}
