// `docker compose up` as a new user runs it, with the services built from this
// repository: shipper, zeek and tail (Prometheus and Grafana come from a registry, so the
// test leaves them out and says so). The shipper turns healthy
// before Zeek starts; tail prints conn, dns, http, ssl and files records within 60 s;
// `docker compose stop` ends every service with exit 0 within its grace period and the
// shipper logs its summary; `docker compose down -v` leaves nothing behind.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test, type TestContext } from 'node:test'
import { waitFor } from '../helpers/sockets.ts'
import { ROOT } from '../cli/cli-process.ts'
import { freePorts } from './docker.ts'
import { zeekSkipReason } from './zeek-sensor.ts'

/** docker compose v2 where the plugin exists, else docker-compose v1. */
function composeCommand(): string[] | undefined {
  if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0) return ['docker', 'compose']
  if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0) return ['docker-compose']
  return undefined
}

const compose = composeCommand()
const skip = (await zeekSkipReason()) || (compose === undefined ? 'neither `docker compose` nor docker-compose is installed here' : false)
const SERVICES = ['shipper', 'zeek', 'tail']
const PATHS = ['conn', 'dns', 'http', 'ssl', 'files']

function docker(...args: string[]): string {
  const result = spawnSync('docker', args, { encoding: 'utf8' })
  assert.equal(result.status, 0, `docker ${args.join(' ')}: ${result.stderr}`)
  return result.stdout
}

test('docker compose up: shipper healthy before Zeek, tail prints records, stop exits 0 everywhere, down -v leaves nothing', { skip, timeout: 900_000 }, async (t: TestContext) => {
  const project = `zzs-test-${process.pid}`
  const [httpPort, endpointPort] = await freePorts(2)
  const env = {
    ...process.env,
    COMPOSE_PROJECT_NAME: project,
    SHIPPER_IMAGE_TAG: 'compose-test',
    SHIPPER_HTTP_PUBLISH: `127.0.0.1:${httpPort}`,
    SHIPPER_DEMO_ENDPOINT_PUBLISH: `127.0.0.1:${endpointPort}`,
    ZEEK_PCAP_LOOP_INTERVAL_S: '2',
  }
  const run = (...args: string[]) => spawnSync(compose![0]!, [...compose!.slice(1), ...args], { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  t.diagnostic('left out: prometheus and grafana, whose images come from a registry (the monitoring tests run a real Prometheus on the same rules and dashboard)')
  t.after(() => run('down', '-v', '--remove-orphans'))

  const built = run('build', 'shipper', 'zeek')
  assert.equal(built.status, 0, built.stderr)
  const up = run('up', '-d', ...SERVICES)
  assert.equal(up.status, 0, up.stderr)

  // The shipper was healthy before Zeek started.
  const container = (service: string): string => run('ps', '-q', service).stdout.trim()
  const shipperState = JSON.parse(docker('inspect', '--format', '{{json .State}}', container('shipper'))) as { Health: { Log: Array<{ ExitCode: number; End: string }> } }
  const zeekStarted = Date.parse(docker('inspect', '--format', '{{.State.StartedAt}}', container('zeek')).trim())
  const firstHealthy = shipperState.Health.Log.filter((check) => check.ExitCode === 0).map((check) => Date.parse(check.End)).sort()[0]
  assert.ok(firstHealthy !== undefined && firstHealthy <= zeekStarted, `the shipper's first passing health check (${firstHealthy}) came before Zeek started (${zeekStarted})`)

  // tail prints the demo's records, one per line: time, path, key=value pairs.
  const seen = new Set<string>()
  await waitFor(
    () => {
      for (const line of run('logs', '--no-color', 'tail').stdout.split('\n')) {
        const path = /\|\s+\S+\s+(\w+)\s+\w+=/.exec(line)?.[1]
        if (path !== undefined) seen.add(path)
      }
      return PATHS.every((path) => seen.has(path))
    },
    `tail to print ${PATHS.join(', ')} records (has ${[...seen].join(', ')})`,
    60_000,
    1_000,
  )

  // Stop: every service exits 0 within its grace period (20 s each by default).
  const started = Date.now()
  const stopped = run('stop')
  assert.equal(stopped.status, 0, stopped.stderr)
  assert.ok(Date.now() - started < 20_000 * SERVICES.length, 'the services stopped within their grace periods')
  for (const service of SERVICES) {
    const state = JSON.parse(docker('inspect', '--format', '{{json .State}}', container(service))) as { ExitCode: number; OOMKilled: boolean }
    assert.equal(state.ExitCode, 0, `${service} exited ${state.ExitCode}:\n${run('logs', '--no-color', service).stdout}`)
  }
  const shipperLog = run('logs', '--no-color', 'shipper').stdout
  assert.match(shipperLog, /"msg":"endpoint summary"/)
  assert.match(shipperLog, /"endpoint":"demo"/)

  const down = run('down', '-v')
  assert.equal(down.status, 0, down.stderr)
  const label = `label=com.docker.compose.project=${project}`
  assert.equal(docker('ps', '-aq', '--filter', label).trim(), '', 'containers left behind')
  assert.equal(docker('volume', 'ls', '-q', '--filter', label).trim(), '', 'volumes left behind')
  assert.equal(docker('network', 'ls', '-q', '--filter', label).trim(), '', 'networks left behind')
})
