// Live reload of the endpoints: on SIGHUP, or when the file named by ZEEK_ZMQ_CONFIG
// changes (a Kubernetes ConfigMap update, an operator's edit), the configuration is loaded
// again and its endpoints handed to the data plane. An invalid configuration is refused
// with every problem logged, and the running one kept. Reloads run one at a time.
//
// Only the endpoints change live. The other settings (inputs, HTTP, limits of the input
// and of the path table, the certificate) take effect at the next start; a reload that
// changes them says so. Variables win over the file, so endpoints given in
// ZEEK_ZMQ_ENDPOINTS cannot be changed by editing the file.

import { watch, readFileSync, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { clearIpcPaths } from '../config/ipc-socket-file.ts'
import { bindersOf, loadConfig, type Env, type ShipperConfig } from '../config/load-config.ts'
import { isShipperError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { DataPlane } from '../plane/data-plane.ts'

/** Editors and ConfigMap updates touch a file several times in a row: reload once they are done. */
const SETTLE_MS = 200

export type ReloadResult = 'success' | 'failure'
export type ReloadCounts = Record<ReloadResult, number>

/** The settings a reload does not apply, compared to say which changed. */
const RESTART_SETTINGS = ['inputs', 'inputAccess', 'maxRecordBytes', 'maxPaths', 'pathIdleS', 'memoryLimitBytes', 'httpHost', 'httpPort', 'logLevel'] as const

export class ConfigReload {
  readonly counts: ReloadCounts = { success: 0, failure: 0 }
  readonly #env: Env
  readonly #plane: DataPlane
  readonly #logger: Logger
  #config: ShipperConfig
  #queue: Promise<unknown> = Promise.resolve()
  #watcher: FSWatcher | undefined
  #settle: NodeJS.Timeout | undefined
  #fileText: string | undefined

  constructor(env: Env, config: ShipperConfig, plane: DataPlane, logger: Logger) {
    this.#env = env
    this.#config = config
    this.#plane = plane
    this.#logger = logger
    this.#fileText = this.#readFile()
  }

  /** Loads the configuration again and applies its endpoints; resolves with the result. */
  reload(trigger: string): Promise<ReloadResult> {
    const run = this.#queue.then(() => this.#apply(trigger)).catch((err: unknown) => {
      this.counts.failure++
      this.#logger.error({ err, trigger }, 'reload failed')
      return 'failure' as const
    })
    this.#queue = run
    return run
  }

  /** Reloads whenever the ZEEK_ZMQ_CONFIG file's content changes, until unwatch(). */
  watchFile(): void {
    const file = this.#env.ZEEK_ZMQ_CONFIG ?? ''
    if (file === '' || this.#watcher !== undefined) return
    // The directory, not the file: a ConfigMap update swaps a symlink, and editors replace
    // the file by renaming a new one over it; either leaves a watch on the old file blind.
    this.#watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
      if (name === null || name === basename(file) || name.startsWith('..')) this.#settleThenCheck()
    })
    this.#watcher.on('error', (err) => this.#logger.error({ err, file }, 'watching the configuration file failed; SIGHUP still reloads'))
    this.#settleThenCheck() // a change made since the configuration was loaded
  }

  #settleThenCheck(): void {
    clearTimeout(this.#settle)
    this.#settle = setTimeout(() => {
      if (this.#readFile() !== this.#fileText) void this.reload('config file changed')
    }, SETTLE_MS).unref()
  }

  unwatch(): void {
    clearTimeout(this.#settle)
    this.#watcher?.close()
    this.#watcher = undefined
  }

  #readFile(): string | undefined {
    const file = this.#env.ZEEK_ZMQ_CONFIG ?? ''
    if (file === '') return undefined
    try {
      return readFileSync(file, 'utf8')
    } catch {
      return undefined
    }
  }

  async #apply(trigger: string): Promise<ReloadResult> {
    this.#fileText = this.#readFile()
    let next: ShipperConfig
    try {
      next = loadConfig(this.#env)
      // A new bind address must be free, as at start: never take over another process's socket.
      const before = new Map(this.#config.endpoints.map((endpoint) => [endpoint.name, endpoint.address]))
      const fresh = next.endpoints.filter((endpoint) => before.get(endpoint.name) !== endpoint.address && !this.#config.endpoints.some((e) => e.address === endpoint.address))
      for (const address of await clearIpcPaths(bindersOf([], fresh))) this.#logger.info({ address }, 'replaced a stale socket file')
    } catch (err) {
      this.counts.failure++
      const problems = isShipperError(err) ? ((err as { problems?: string[] }).problems ?? [err.message]) : [(err as Error).message]
      this.#logger.error({ trigger, problems }, 'reload refused; the running configuration is kept')
      return 'failure'
    }
    const later: string[] = RESTART_SETTINGS.filter((key) => !isDeepStrictEqual(this.#config[key], next[key]))
    if (this.#config.curveCert?.publicKey !== next.curveCert?.publicKey) later.push('curveCert')
    if (later.length > 0) this.#logger.warn({ settings: later }, 'these settings changed but take effect only at the next start')

    const report = await this.#plane.reconfigure(next.endpoints)
    this.#config = { ...this.#config, endpoints: next.endpoints }
    const result: ReloadResult = report.failed.length === 0 ? 'success' : 'failure'
    this.counts[result]++
    const { added, removed, changed, unchanged, failed } = report
    this.#logger.info({ trigger, added, removed, changed, unchanged, failed }, result === 'success' ? 'configuration reloaded' : 'configuration reloaded, but some endpoints could not open')
    return result
  }
}
