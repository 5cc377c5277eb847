// The shipper as a child process, as operators run it: environment in, JSON log lines out,
// signals to stop it. Modelled on pino's process tests.

import { spawn, type ChildProcess } from 'node:child_process'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { waitFor } from './sockets.ts'

export const CLI = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url))
export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface ShipperProcess {
  readonly child: ChildProcess
  /** Every JSON line written to standard output so far. */
  readonly logs: Array<Record<string, unknown>>
  readonly stderr: () => string
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>
  /** Waits for a log line with this msg and returns it. */
  line(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>
}

export function spawnShipper(t: TestContext, env: Record<string, string>, command: string[] = [process.execPath, CLI, 'run']): ShipperProcess {
  const child = spawn(command[0]!, command.slice(1), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ZEEK_ZMQ_HTTP_HOST: '127.0.0.1', ZEEK_ZMQ_HTTP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that `npm start` and the node it starts are stopped together.
    detached: true,
  })
  const logs: Array<Record<string, unknown>> = []
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    const lines = stdout.split('\n')
    stdout = lines.pop()!
    for (const line of lines) {
      if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, unknown>)
    }
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  )
  t.after(async () => {
    try {
      process.kill(-child.pid!, 'SIGKILL') // whatever of the group is still there
    } catch {
      // all gone already
    }
    await exited
  })
  return {
    child,
    logs,
    stderr: () => stderr,
    exited,
    line: (msg, timeoutMs = 20_000) =>
      waitFor(() => logs.find((l) => l.msg === msg), `log line "${msg}" (stderr: ${stderr.slice(-500)})`, timeoutMs),
  }
}
