// A sensor in containers for the Zeek tests: the shipper image and the Zeek image side by
// side as compose runs them (the socket directory shared, Zeek's writer connecting to the
// shipper's ipc input), both on the host's network with every port bound to 127.0.0.1.
// Zeek reads capture files that the demo generator writes, with its own ASCII logs on in
// JSON, so that what a subscriber of the shipper receives can be held against what Zeek
// itself logged, line for line.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import type { TestContext } from 'node:test'
import { Wait, type ContainerRuntimeClient, type StartedTestContainer } from 'testcontainers'
import { samples } from '../helpers/shipper.ts'
import { subscriber, waitFor, type TestSubscriber } from '../helpers/sockets.ts'
import { ROOT } from '../cli/cli-process.ts'
import { buildShipperImage, buildZeekImage, ContainerOutput, dockerEngine, freePorts, removeAfter, zeekBaseImage } from './docker.ts'

/** Paths of the streams the Zeek container leaves out by default (ZEEK_EXCLUDED_LOG_IDS). */
export const EXCLUDED_BY_DEFAULT = new Set(['loaded_scripts', 'telemetry', 'telemetry_histogram'])

/**
 * Why the Zeek tests cannot run here, or false. Where CI built the zeek/zeek stand-in
 * (SHIPPER_TESTS_REQUIRE_ZEEK=1), a missing engine or image fails the test instead.
 */
export async function zeekSkipReason(): Promise<string | false> {
  const engine = await dockerEngine()
  const reason = engine.reason ?? (await zeekBaseImage(engine.client!)).reason
  if (reason === undefined) return false
  if (process.env.SHIPPER_TESTS_REQUIRE_ZEEK === '1') throw new Error(`the Zeek tests must run here (SHIPPER_TESTS_REQUIRE_ZEEK=1), but: ${reason}`)
  return reason
}

/** A temporary directory with the given mode (containers write as other users), removed after the test. */
export function tempDir(t: TestContext, prefix: string, mode: number): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  chmodSync(dir, mode)
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Writes a capture with zeek/demo/make-demo-pcap.py; returns its path. */
export function makeCapture(dir: string, scenario: 'demo' | 'mixed' | 'large', flows?: number): string {
  const path = join(dir, `${scenario}${flows === undefined ? '' : `-${flows}`}.pcap`)
  const args = [join(ROOT, 'zeek', 'demo', 'make-demo-pcap.py'), '--scenario', scenario, ...(flows === undefined ? [] : ['--flows', String(flows)]), path]
  const result = spawnSync('python3', args, { encoding: 'utf8' })
  assert.equal(result.status, 0, result.stderr)
  return path
}

export function captureDir(t: TestContext): string {
  return tempDir(t, 'zzs-pcaps-', 0o755)
}

export interface SensorShipper {
  container: StartedTestContainer
  output: ContainerOutput
  /** The shared socket directory, mounted at /run/zeek-zmq in both containers. */
  socketDir: string
  httpPort: number
  endpointPort: number
  metrics(): Promise<string>
  /** Per Zeek log path, the shipper's zeek_zmq_input_records_total. */
  inputRecords(): Promise<Map<string, number>>
}

/** Starts the shipper image with a bind-mode endpoint "test" on 127.0.0.1 and waits until it is healthy. */
export async function startShipper(t: TestContext, client: ContainerRuntimeClient, env: Record<string, string> = {}, ports?: number[]): Promise<SensorShipper> {
  const socketDir = tempDir(t, 'zzs-socket-', 0o1777)
  const [httpPort, endpointPort] = ports ?? (await freePorts(2))
  return startShipperOn(t, client, { socketDir, httpPort: httpPort!, endpointPort: endpointPort! }, env)
}

/** The same, on a given socket directory and ports: a restarted shipper takes its predecessor's place. */
export async function startShipperOn(
  t: TestContext,
  client: ContainerRuntimeClient,
  place: { socketDir: string; httpPort: number; endpointPort: number },
  env: Record<string, string> = {},
): Promise<SensorShipper> {
  const { socketDir, httpPort, endpointPort } = place
  const output = new ContainerOutput()
  const container = await (await buildShipperImage())
    .withNetworkMode('host')
    .withBindMounts([{ source: socketDir, target: '/run/zeek-zmq', mode: 'rw' }])
    .withEnvironment({
      ZEEK_ZMQ_ENDPOINTS: `tcp://127.0.0.1:${endpointPort}?name=test&mode=bind&hwm=200000`,
      ZEEK_ZMQ_HTTP_HOST: '127.0.0.1',
      ZEEK_ZMQ_HTTP_PORT: String(httpPort),
      ...env,
    })
    .withLogConsumer(output.consume)
    .withWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(60_000)
    .start()
  removeAfter(t, client, container)
  const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()
  return {
    container,
    output,
    socketDir,
    httpPort,
    endpointPort,
    metrics,
    async inputRecords() {
      return labelled(samples(await metrics(), 'zeek_zmq_input_records_total'), 'path')
    },
  }
}

/** Sample values by one label's value (summed over the other labels). */
export function labelled(found: Array<{ labels: string; value: number }>, label: string): Map<string, number> {
  const byValue = new Map<string, number>()
  for (const sample of found) {
    const value = new RegExp(`(?:^|,)${label}="([^"]*)"`).exec(sample.labels)?.[1]
    if (value !== undefined) byValue.set(value, (byValue.get(value) ?? 0) + sample.value)
  }
  return byValue
}

export interface ZeekRun {
  container: StartedTestContainer
  output: ContainerOutput
  /** Zeek's working directory on the host: its ASCII logs, in JSON. */
  logDir: string
}

/**
 * Runs the Zeek image on a capture file beside the shipper, with JSON disk logs, and
 * returns once Zeek has said where its log streams go (its writers are then connecting).
 */
export async function startZeek(t: TestContext, client: ContainerRuntimeClient, shipper: { socketDir: string }, pcap: string, env: Record<string, string> = {}): Promise<ZeekRun> {
  const logDir = tempDir(t, 'zzs-zeek-logs-', 0o777)
  const output = new ContainerOutput()
  const container = await (await buildZeekImage())
    .withNetworkMode('host')
    .withBindMounts([
      { source: shipper.socketDir, target: '/run/zeek-zmq', mode: 'rw' },
      { source: dirname(pcap), target: '/pcaps', mode: 'ro' },
      { source: logDir, target: '/var/log/zeek', mode: 'rw' },
    ])
    .withEnvironment({
      ZEEK_PCAP: `/pcaps/${basename(pcap)}`,
      ZEEK_DISK_LOGS: 'true',
      ZEEK_DISK_LOGS_FORMAT: 'json',
      ZEEK_SHIPPER_WAIT_S: '30',
      // Zeek's telemetry port would be open on the host's network: off unless a test asks.
      ZEEK_TELEMETRY_PORT: '0',
      ...env,
    })
    .withLogConsumer(output.consume)
    .withWaitStrategy(Wait.forLogMessage(/zeek-zmq-shipper: \d+ of \d+ log streams go to /))
    .withStartupTimeout(120_000)
    .start()
  removeAfter(t, client, container)
  return { container, output, logDir }
}

export async function waitForExit(client: ContainerRuntimeClient, container: StartedTestContainer, timeoutMs: number): Promise<number> {
  const handle = client.container.getById(container.getId())
  await waitFor(async () => (await client.container.inspect(handle)).State.Running === false, 'the container to exit', timeoutMs, 250)
  return (await client.container.inspect(handle)).State.ExitCode
}

/** Zeek's own log lines, by log path (file name without .log). */
export function zeekLogLines(logDir: string): Map<string, string[]> {
  const byPath = new Map<string, string[]>()
  for (const file of readdirSync(logDir).filter((name) => name.endsWith('.log'))) {
    const text = readFileSync(join(logDir, file), 'latin1')
    byPath.set(file.slice(0, -'.log'.length), text.split('\n').filter((line) => line !== ''))
  }
  return byPath
}

/** A subscriber of the shipper's endpoint that sorts what arrives by path. */
export class RecordsByPath {
  readonly byPath = new Map<string, string[]>()
  readonly #sub: TestSubscriber

  private constructor(sub: TestSubscriber) {
    this.#sub = sub
  }

  static async connect(t: TestContext, endpointPort: number): Promise<RecordsByPath> {
    return new RecordsByPath(await subscriber(t, { connect: `tcp://127.0.0.1:${endpointPort}` }, { receiveHighWaterMark: 0 }))
  }

  /** Sorts what has arrived since the last call; returns the total so far. */
  take(): number {
    for (const [path, record] of this.#sub.received.splice(0)) {
      const name = path!.toString('latin1')
      const records = this.byPath.get(name) ?? []
      records.push(record!.toString('latin1'))
      this.byPath.set(name, records)
    }
    let total = 0
    for (const records of this.byPath.values()) total += records.length
    return total
  }

  /** Per path, how many records have arrived. */
  counts(): Record<string, number> {
    this.take()
    return Object.fromEntries([...this.byPath].map(([path, records]) => [path, records.length]).sort())
  }

  /** Waits until at least `count` records have arrived in all, then until nothing more comes for quietMs. */
  async settle(count: number, timeoutMs: number, quietMs = 500): Promise<void> {
    try {
      await waitFor(() => this.take() >= count, `${count} records`, timeoutMs, 200)
    } catch (err) {
      throw new Error(`${(err as Error).message}; per path: ${JSON.stringify(this.counts())}`)
    }
    let seen = -1
    while (seen !== this.take()) {
      seen = this.take()
      await new Promise((resolve) => setTimeout(resolve, quietMs))
    }
  }

  clear(): void {
    this.take()
    this.byPath.clear()
  }
}

/** How many lines Zeek logged on the paths the shipper should receive. */
export function expectedCount(logs: Map<string, string[]>): number {
  let total = 0
  for (const [path, lines] of logs) if (!EXCLUDED_BY_DEFAULT.has(path)) total += lines.length
  return total
}

/** Multiset difference: the lines of a that b lacks (with repeats). */
export function missingFrom(a: readonly string[], b: readonly string[]): string[] {
  const counts = new Map<string, number>()
  for (const line of b) counts.set(line, (counts.get(line) ?? 0) + 1)
  const missing: string[] = []
  for (const line of a) {
    const n = counts.get(line) ?? 0
    if (n === 0) missing.push(line)
    else counts.set(line, n - 1)
  }
  return missing
}

/**
 * Every path Zeek logged (but the default exclusions) arrived exactly: as many records as
 * Zeek's log has lines, each byte for byte one of those lines; nothing arrived that Zeek
 * did not log; the excluded paths arrived not at all.
 */
export function assertSameRecords(logs: Map<string, string[]>, received: Map<string, string[]>): void {
  for (const [path, lines] of logs) {
    const got = received.get(path) ?? []
    if (EXCLUDED_BY_DEFAULT.has(path)) {
      assert.equal(got.length, 0, `${path} is excluded by default, yet ${got.length} records arrived`)
      continue
    }
    const missing = missingFrom(lines, got)
    const extra = missingFrom(got, lines)
    assert.equal(got.length, lines.length, `${path}: Zeek logged ${lines.length} lines, the subscriber received ${got.length}`)
    assert.deepEqual({ path, missing: missing.slice(0, 3), extra: extra.slice(0, 3) }, { path, missing: [], extra: [] }, `${path}: records differ from Zeek's own log`)
  }
  for (const path of received.keys()) assert.ok(logs.has(path), `records of ${path} arrived, but Zeek logged none`)
}
