// Runs a program as a child process (the CLI as `node src/cli/index.ts ...`, as users run
// it, or a script) and gives tests its output with timeouts instead of sleeps. The child
// is killed after the test if it is still running.

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { TestContext } from 'node:test'
import { testDataPlane } from '../helpers/shipper.ts'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const CLI = 'src/cli/index.ts'

/** A JSON log line of the shipper's. */
export type LogLine = Record<string, unknown>

export interface CliProcess {
  /** Resolves with the first `count` complete stdout lines, or rejects after `timeoutMs`. */
  stdoutLines(count: number, timeoutMs?: number): Promise<string[]>
  /** Resolves with the match once stderr matches, or rejects after `timeoutMs`. */
  stderrMatching(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>
  /** Resolves with the first JSON log line whose msg is `msg`, or rejects after `timeoutMs`. */
  logLine(msg: string, timeoutMs?: number): Promise<LogLine>
  /** Every JSON log line written to stdout so far. */
  logs(): LogLine[]
  stdout(): string
  stderr(): string
  kill(signal: NodeJS.Signals): void
  readonly pid: number
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export interface SpawnOptions {
  /**
   * Gives the child a process group of its own, all of which is killed after the test:
   * for `npm start`, whose shipper is a grandchild.
   */
  readonly detached?: boolean
}

export function spawnCli(t: TestContext, args: string[], env: Record<string, string> = {}): CliProcess {
  return spawnProcess(t, process.execPath, [CLI, ...args], { ...process.env, ...env })
}

/**
 * The shipper as operators run it: settings in the environment (HTTP on loopback, a free
 * port), JSON log lines out. `command` defaults to the CLI's `run`.
 */
export function spawnShipper(t: TestContext, env: Record<string, string>, command: string[] = [process.execPath, CLI, 'run']): CliProcess {
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ZEEK_ZMQ_HTTP_HOST: '127.0.0.1', ZEEK_ZMQ_HTTP_PORT: '0', ZEEK_ZMQ_DATA_PLANE: testDataPlane() }
  return spawnProcess(t, command[0]!, command.slice(1), { ...base, ...env }, { detached: true })
}

/** Runs `command` in the repository's root with exactly the environment `env`. */
export function spawnProcess(t: TestContext, command: string, args: string[], env: NodeJS.ProcessEnv, options: SpawnOptions = {}): CliProcess {
  const detached = options.detached ?? false
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached })
  let out = ''
  let err = ''
  const waiters = new Set<() => void>()
  const wake = (): void => {
    for (const waiter of waiters) waiter()
  }
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
    wake()
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk
    wake()
  })
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }))
  exited.then(wake, wake)
  t.after(async () => {
    if (detached) {
      try {
        process.kill(-child.pid!, 'SIGKILL') // whatever of the group is still there
      } catch {
        // all gone already
      }
    } else if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
    }
    await exited
  })

  const logs = (): LogLine[] =>
    out
      .split('\n')
      .filter((line) => line.startsWith('{') && line.endsWith('}'))
      .map((line) => JSON.parse(line) as LogLine)

  function until<T>(check: () => T | undefined, timeoutMs: number, what: () => string): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        const value = check()
        if (value === undefined) return false
        cleanup()
        resolve(value)
        return true
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}\nstdout:\n${out}\nstderr:\n${err}`))
      }, timeoutMs)
      const onChange = (): void => {
        if (attempt()) return
        if (child.exitCode !== null || child.signalCode !== null) {
          cleanup()
          reject(new Error(`the process exited (${child.exitCode ?? child.signalCode}) before ${what()}\nstdout:\n${out}\nstderr:\n${err}`))
        }
      }
      const cleanup = (): void => {
        clearTimeout(timer)
        waiters.delete(onChange)
      }
      waiters.add(onChange)
      onChange()
    })
  }

  return {
    stdoutLines(count, timeoutMs = 10_000) {
      return until(
        () => {
          const lines = out.split('\n')
          return lines.length > count ? lines.slice(0, count) : undefined
        },
        timeoutMs,
        () => `${count} lines on stdout`,
      )
    },
    stderrMatching(pattern, timeoutMs = 10_000) {
      return until(() => pattern.exec(err) ?? undefined, timeoutMs, () => `stderr to match ${pattern}`)
    },
    logLine(msg, timeoutMs = 20_000) {
      return until(() => logs().find((line) => line.msg === msg), timeoutMs, () => `the log line "${msg}"`)
    },
    logs,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    kill: (signal) => {
      child.kill(signal)
    },
    exited,
  }
}
