// Runs a program as a child process (the CLI as `node src/cli/index.ts ...`, as users run
// it, or a script) and gives tests its output with timeouts instead of sleeps. The child
// is killed after the test if it is still running.

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { TestContext } from 'node:test'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CLI = 'src/cli/index.ts'

export interface CliProcess {
  /** Resolves with the first `count` complete stdout lines, or rejects after `timeoutMs`. */
  stdoutLines(count: number, timeoutMs?: number): Promise<string[]>
  /** Resolves with the match once stderr matches, or rejects after `timeoutMs`. */
  stderrMatching(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>
  stdout(): string
  stderr(): string
  kill(signal: NodeJS.Signals): void
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export function spawnCli(t: TestContext, args: string[], env: Record<string, string> = {}): CliProcess {
  return spawnProcess(t, process.execPath, [CLI, ...args], { ...process.env, ...env })
}

/** Runs `command` in the repository's root with exactly the environment `env`. */
export function spawnProcess(t: TestContext, command: string, args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
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
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })

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
    stdout: () => out,
    stderr: () => err,
    kill: (signal) => {
      child.kill(signal)
    },
    exited,
  }
}
