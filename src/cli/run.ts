// `zeek-zmq-shipper run`: configuration, HTTP, the data path, and shutdown in a fixed order:
// readiness 503 -> stop input -> drain endpoints within linger -> close outputs ->
// close HTTP -> summary -> exit 0.

import { parseArgs } from 'node:util'
import { clearIpcPaths } from '../config/ipc-socket-file.ts'
import { bindersOf, loadConfig, type Env } from '../config/load-config.ts'
import { isShipperError, ShipperError } from '../errors.ts'
import { buildApp, type ShipperApp } from '../http/app.ts'
import { createLogger, type Logger } from '../logger.ts'
import { createMetricsRegistry } from '../metrics/shipper-metrics.ts'
import { ConfigReload, type ReloadResult } from './config-reload.ts'
import type { DataPlane, EndpointSummary } from '../plane/data-plane.ts'
import { createDataPlane } from '../plane/select-plane.ts'

/** sysexits.h EX_CONFIG: the configuration is wrong; restarting will not help. */
export const EXIT_CONFIG = 78

const HELP = `usage: zeek-zmq-shipper [run]

Runs the shipper. Every setting comes from a ZEEK_ZMQ_* environment variable (or the
JSON file named by ZEEK_ZMQ_CONFIG); see the README's configuration table.
SIGTERM or SIGINT stops it: input stops, each endpoint gets its linger to flush, and a
summary line per endpoint is logged. SIGHUP, or a change of the ZEEK_ZMQ_CONFIG file,
reloads the endpoints without a restart.
`

export interface RunningShipper {
  /** The data path: tests read its snapshot(), as the metrics do. */
  readonly plane: DataPlane
  readonly app: ShipperApp
  readonly logger: Logger
  /** The HTTP server's address, such as http://127.0.0.1:8080. */
  readonly url: string
  /** Loads the configuration again and applies its endpoints (what SIGHUP does). */
  reload(): Promise<ReloadResult>
  /** Shuts down in order and returns the per-endpoint summaries. */
  stop(): Promise<EndpointSummary[]>
}

/** Starts the shipper from the given environment; the configuration is loaded first. */
export async function run(env: Env, logger?: Logger): Promise<RunningShipper> {
  const config = loadConfig(env)
  const log = logger ?? createLogger(config.logLevel)
  // Before HTTP and before any socket: another process's socket at an ipc path stops the
  // start here, with nothing to undo.
  for (const address of await clearIpcPaths(bindersOf(config.inputs, config.endpoints))) {
    log.info({ address }, 'replaced a stale socket file')
  }
  const plane: DataPlane = createDataPlane(config, log)
  const reloads = new ConfigReload(env, config, plane, log)
  const registry = createMetricsRegistry(() => plane.snapshot(), { reloads: () => reloads.counts })
  const app = buildApp({ logger: log, registry, readiness: () => plane.readiness() })

  // HTTP first: /livez answers and /readyz says what is missing while sockets come up.
  let url: string
  try {
    url = await app.listen({ host: config.httpHost, port: config.httpPort })
  } catch (err) {
    await plane.abort()
    throw err
  }
  try {
    await plane.start()
  } catch (err) {
    await app.close()
    throw err
  }
  reloads.watchFile()
  log.info({ url }, 'shipper ready')

  let stopping: Promise<EndpointSummary[]> | undefined
  const stop = (): Promise<EndpointSummary[]> => {
    stopping ??= (async () => {
      reloads.unwatch()
      const summaries = await plane.stop()
      for (const summary of summaries) log.info(summary, 'endpoint summary')
      await app.close()
      return summaries
    })()
    return stopping
  }
  return { plane, app, logger: log, url, reload: () => reloads.reload('request'), stop }
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.removeListener('SIGTERM', onSignal)
      process.removeListener('SIGINT', onSignal)
      // A second signal means "now": exit without waiting for linger.
      const again = (): void => process.exit(1)
      process.once('SIGTERM', again)
      process.once('SIGINT', again)
      resolve(signal)
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  })
}

export async function main(args: string[]): Promise<number> {
  let values: { help?: boolean }
  try {
    ;({ values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: false }))
  } catch (err) {
    throw new ShipperError('ERR_USAGE', `run: ${(err as Error).message}\n${HELP}`)
  }
  if (values.help === true) {
    process.stdout.write(HELP)
    return 0
  }
  const signal = waitForSignal()

  let running: RunningShipper
  try {
    running = await run(process.env)
  } catch (err) {
    // A spool directory another shipper owns, or one the file system refuses, is a setting
    // to change too: restarting will not help.
    if (isShipperError(err, 'ERR_CONFIG') || isShipperError(err, 'ERR_SPOOL')) {
      process.stderr.write(`zeek-zmq-shipper: ${err.message}\n`)
      return EXIT_CONFIG
    }
    throw err
  }

  const reload = (): void => void running.reload()
  process.on('SIGHUP', reload)
  const received = await signal
  process.removeListener('SIGHUP', reload)
  running.logger.info({ signal: received }, 'shutting down')
  await running.stop()
  running.logger.info('stopped')
  return 0
}
