// Bring your own Zeek: an operator with a Zeek of their own (not the project's image)
// installs this repository's Zeek package with zkg, which pulls in the ZeroMQ writer
// plugin from its GitHub address (its zkg.meta dependency) and builds it, then points the
// writer at a shipper. Here that Zeek is the zeek/zeek image with a compiler (the Zeek
// image's "toolchain" build stage), the package comes from a local clone of this
// repository, and the shipper runs in this process on loopback. Zeek's records reach a
// subscriber of the shipper exactly as Zeek logs them.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { GenericContainer } from 'testcontainers'
import { startShipper } from '../helpers/shipper.ts'
import { ROOT } from '../cli/cli-process.ts'
import { ContainerOutput, dockerEngine, freePorts, removeAfter, ZEEK_VERSION } from './docker.ts'
import { assertSameRecords, captureDir, expectedCount, makeCapture, RecordsByPath, tempDir, waitForExit, zeekLogLines, zeekSkipReason } from './zeek-sensor.ts'

const skip = await zeekSkipReason()

/** A git clone of the package as this tree has it: zkg installs from git repositories. */
function packageClone(t: TestContext): string {
  const dir = join(tempDir(t, 'zzs-zkg-', 0o777), 'zeek-zmq-shipper')
  mkdirSync(join(dir, 'zeek'), { recursive: true })
  cpSync(join(ROOT, 'zkg.meta'), join(dir, 'zkg.meta'))
  cpSync(join(ROOT, 'zeek', 'scripts'), join(dir, 'zeek', 'scripts'), { recursive: true })
  const git = (...args: string[]) => {
    const result = spawnSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@localhost', ...args], { cwd: dir, encoding: 'utf8' })
    assert.equal(result.status, 0, result.stderr)
  }
  git('init', '-q')
  git('add', '.')
  git('commit', '-q', '-m', 'package')
  return dir
}

test('zkg installs the package and the writer plugin into an existing Zeek, whose records then reach the shipper', { skip, timeout: 900_000 }, async (t) => {
  const client = (await dockerEngine()).client!
  const [endpointPort] = await freePorts(1)
  const shipper = await startShipper(t, { ZEEK_ZMQ_ENDPOINTS: `tcp://127.0.0.1:${endpointPort}?name=test&mode=bind&hwm=200000` })
  const records = await RecordsByPath.connect(t, endpointPort!)

  const pcaps = captureDir(t)
  makeCapture(pcaps, 'mixed')
  // The operator's own site script: the packages zkg installed, the shipper's address, and
  // Zeek's bookkeeping streams left out, as the project's container does by default.
  writeFileSync(
    join(pcaps, 'site.zeek'),
    [
      '@load packages',
      `redef LogZeroMQ::endpoint = "${shipper.input}";`,
      'redef LogZeroMQ::excluded_log_ids += { LoadedScripts::LOG, Telemetry::LOG, Telemetry::LOG_HISTOGRAM };',
      'redef LogAscii::use_json = T;',
      '',
    ].join('\n'),
  )
  const logDir = tempDir(t, 'zzs-zkg-logs-', 0o777)
  const script = [
    'set -eu',
    'zkg autoconfig --force >/dev/null',
    // ZEROMQ_PREFIX is the writer plugin's own zkg variable: Debian's libzmq lives under /usr.
    'zkg install --force --skiptests --user-var ZEROMQ_PREFIX=/usr /package/zeek-zmq-shipper',
    'zkg list installed',
    'zeek -N NCSA::ZeroMQWriter',
    'cd /logs && zeek -C -r /pcaps/mixed.pcap local /pcaps/site.zeek',
  ].join('\n')

  const output = new ContainerOutput()
  const image = await GenericContainer.fromDockerfile(join(ROOT, 'zeek'))
    .withBuildArgs({ ZEEK_VERSION })
    .withTarget('toolchain')
    .build(`zeek-zmq-shipper-zeek-toolchain:test-${ZEEK_VERSION}`, { deleteOnExit: false })
  const zeek = await image
    .withNetworkMode('host')
    .withBindMounts([
      { source: join(packageClone(t), '..'), target: '/package', mode: 'ro' },
      { source: pcaps, target: '/pcaps', mode: 'ro' },
      { source: logDir, target: '/logs', mode: 'rw' },
    ])
    .withEntrypoint(['bash', '-c'])
    .withCommand([script])
    .withLogConsumer(output.consume)
    .start()
  removeAfter(t, client, zeek)
  assert.equal(await waitForExit(client, zeek, 600_000), 0, output.text())
  assert.match(output.text(), /zeek-zmq-shipper/)
  assert.match(output.text(), /bro-zeromq-writer/, 'zkg installed the writer plugin as a dependency')
  assert.match(output.text(), /NCSA::ZeroMQWriter - ZeroMQ log writer/)

  const logs = zeekLogLines(logDir)
  await records.settle(expectedCount(logs), 60_000)
  assertSameRecords(logs, records.byPath)
  for (const path of ['conn', 'dns', 'http', 'ssl', 'files', 'x509']) assert.ok((records.byPath.get(path)?.length ?? 0) > 0, `no ${path} records`)
})
