// What the chart hands Zeek, run by a real Zeek: its script (chart.zeek in the ConfigMap) on
// the demo capture, which with disk logs rotates Zeek's ASCII files and without them changes
// nothing; Zeek's liveness command, which passes while Zeek runs and fails once it is gone;
// and its telemetry, which listens on the node's IP only and answers the liveness probe. Needs a Docker engine and the zeek/zeek image (the Zeek image's base), helm and
// python3 (which makes the demo capture).

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { GenericContainer, Wait } from 'testcontainers'
import { dockerEngine, exitCode, removeAfter, zeekBaseImage, ZEEK_VERSION } from '../containers/docker.ts'
import { waitFor } from '../helpers/sockets.ts'
import { expandVariables, findExecutable, ROOT, type Values } from './chart.ts'
import { containersOf, envValue, only, render, skipWithoutHelm, workloadOf, type K8sObject } from './render.ts'

const python = findExecutable('python3')
const engine = await dockerEngine()
const skip =
  skipWithoutHelm ||
  (python === undefined ? 'python3 is not installed here: zeek/demo/make-demo-pcap.py makes the capture' : false) ||
  engine.reason ||
  (await zeekBaseImage(engine.client!)).reason ||
  false

const chartScript = (values: Values): string => only<K8sObject & { data: Record<string, string> }>(render('values.yaml', values), 'ConfigMap').data['chart.zeek']!

test(`Zeek ${ZEEK_VERSION} runs the chart's script: disk logs are rotated, and nothing changes without them`, { skip, timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'zzs-zeek-script-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  chmodSync(dir, 0o777)
  const made = spawnSync(python!, [join(ROOT, 'zeek', 'demo', 'make-demo-pcap.py'), join(dir, 'demo.pcap')], { encoding: 'utf8' })
  assert.equal(made.status, 0, made.stderr)

  const run = async (name: string, script: string): Promise<string[]> => {
    writeFileSync(join(dir, `${name}.zeek`), script)
    mkdirSync(join(dir, name))
    const container = await new GenericContainer(`zeek/zeek:${ZEEK_VERSION}`)
      .withNetworkMode('none')
      .withBindMounts([{ source: dir, target: '/work', mode: 'rw' }])
      .withWorkingDir(`/work/${name}`)
      .withCommand(['zeek', '-C', '-r', '/work/demo.pcap', 'local', `/work/${name}.zeek`])
      .withWaitStrategy(Wait.forOneShotStartup())
      .withStartupTimeout(120_000)
      .start()
    removeAfter(t, engine.client!, container)
    assert.equal(await exitCode(engine.client!, container), 0, `zeek with ${name}.zeek`)
    return readdirSync(join(dir, name)).sort()
  }

  // The capture's DNS records are written while it is read, and rotated when the interval
  // has passed in the capture's time (records written at shutdown stay in the open file).
  const rotated = /^dns\.\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.log$/
  const withDiskLogs = await run('disk-logs', chartScript({ zeek: { diskLogs: true, logRotationInterval: '1min' } }))
  assert.ok(withDiskLogs.some((file) => rotated.test(file)), `no rotated dns log among ${withDiskLogs.join(' ')}`)
  const without = await run('no-disk-logs', chartScript({}))
  assert.ok(without.includes('dns.log'), `Zeek wrote no dns.log: ${without.join(' ')}`)
  assert.ok(!without.some((file) => rotated.test(file)), `rotated without disk logs: ${without.join(' ')}`)
})

test(`Zeek's liveness command without telemetry passes while a zeek process runs, and fails once it has exited`, { skip, timeout: 300_000 }, async (t) => {
  const zeek = containersOf(workloadOf(render('ci/sensor-values.yaml'))).zeek!
  const probe = zeek.livenessProbe!.exec!.command
  const container = await new GenericContainer(`zeek/zeek:${ZEEK_VERSION}`)
    .withNetworkMode('none')
    .withAddedCapabilities('NET_RAW', 'NET_ADMIN')
    .withCommand(['sleep', '300'])
    .start()
  removeAfter(t, engine.client!, container)
  const started = await container.exec(['bash', '-c', 'zeek -C -i lo >/tmp/zeek.out 2>&1 & echo $! >/tmp/zeek.pid'])
  assert.equal(started.exitCode, 0, started.output)
  await waitFor(async () => (await container.exec(probe)).exitCode === 0, 'the probe to see zeek', 30_000, 200)
  await container.exec(['bash', '-c', 'kill "$(cat /tmp/zeek.pid)"'])
  await waitFor(async () => (await container.exec(probe)).exitCode === 1, 'the probe to fail once zeek has exited', 30_000, 200)
})

test("Zeek's telemetry listens on the node's IP only (ZEEK_DEFAULT_LISTEN_ADDRESS), and answers the liveness probe's path", { skip, timeout: 300_000 }, async (t) => {
  const zeek = containersOf(workloadOf(render('values.yaml'))).zeek!
  const port = Number(envValue(zeek, 'ZEEK_TELEMETRY_PORT'))
  const listen = expandVariables(envValue(zeek, 'ZEEK_DEFAULT_LISTEN_ADDRESS')!) // the node's IP stands in as 127.0.0.1
  const container = await new GenericContainer(`zeek/zeek:${ZEEK_VERSION}`)
    .withNetworkMode('none')
    .withAddedCapabilities('NET_RAW', 'NET_ADMIN')
    .withEnvironment({ ZEEK_DEFAULT_LISTEN_ADDRESS: listen })
    .withCommand(['sleep', '300'])
    .start()
  removeAfter(t, engine.client!, container)
  // The Zeek image's settings script sets the port the same way (ZEEK_TELEMETRY_PORT).
  const started = await container.exec(['bash', '-c', `echo 'redef Telemetry::metrics_port = ${port}/tcp;' >/tmp/t.zeek; zeek -C -i lo /tmp/t.zeek >/tmp/zeek.out 2>&1 &`])
  assert.equal(started.exitCode, 0, started.output)
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  let listening: string[] = []
  await waitFor(
    async () => {
      const table = (await container.exec(['cat', '/proc/net/tcp'])).output.split('\n').slice(1)
      listening = table.map((line) => line.trim().split(/\s+/)).filter((f) => f[3] === '0A' && f[1]?.endsWith(`:${hexPort}`)).map((f) => f[1]!)
      return listening.length > 0
    },
    `Zeek's telemetry to listen on port ${port}`,
    60_000,
    250,
  )
  assert.deepEqual(listening, [`0100007F:${hexPort}`], 'listening on 127.0.0.1 alone, not 0.0.0.0')
  const request = `exec 3<>/dev/tcp/${listen}/${port}; printf 'GET ${zeek.livenessProbe!.httpGet!.path} HTTP/1.0\\r\\n\\r\\n' >&3; head -n 1 <&3`
  const answer = await container.exec(['bash', '-c', request])
  assert.match(answer.output, /^HTTP\/1\.[01] 200 /)
})
