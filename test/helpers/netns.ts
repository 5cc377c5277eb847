// A network namespace of the test's own, for faults that loopback alone cannot make: a
// partition (packets dropped by iptables inside the namespace) between a shipper and a
// subscriber that both run in it. Nothing in it can reach any other network.

import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'

function missingTool(): string | undefined {
  for (const tool of ['ip', 'iptables']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return tool
  return undefined
}

function whyNot(): string | false {
  if (process.getuid?.() !== 0) return 'creating a network namespace needs root'
  const tool = missingTool()
  if (tool !== undefined) return `${tool} is not installed (Debian's iproute2 and iptables)`
  const name = `zzs-probe-${process.pid}`
  const added = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' })
  if (added.status !== 0) return `ip netns add failed: ${added.stderr.trim()}`
  const filter = spawnSync('ip', ['netns', 'exec', name, 'iptables', '-L', 'INPUT'], { encoding: 'utf8' })
  spawnSync('ip', ['netns', 'delete', name])
  if (filter.status !== 0) return `iptables cannot run in a network namespace here: ${filter.stderr.trim()}`
  return false
}

/** Why these tests cannot run here, or false when they can. */
export const NO_NETNS: string | false = whyNot()

export interface NetworkNamespace {
  readonly name: string
  /** `command` as run inside the namespace. */
  inside(command: readonly string[]): string[]
  /** Runs a command inside the namespace and returns its stdout; throws on failure. */
  run(...command: string[]): string
  /** Drops every tcp packet to or from `port` inside the namespace: the connection stays, nothing crosses it. */
  partition(port: number): void
  heal(port: number): void
}

export function networkNamespace(t: TestContext): NetworkNamespace {
  const name = `zzs-${randomBytes(4).toString('hex')}`
  const ip = (...args: string[]): void => {
    const result = spawnSync('ip', args, { encoding: 'utf8' })
    if (result.status !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr}`)
  }
  ip('netns', 'add', name)
  t.after(() => spawnSync('ip', ['netns', 'delete', name]))
  ip('-n', name, 'link', 'set', 'lo', 'up')
  const inside = (command: readonly string[]): string[] => ['ip', 'netns', 'exec', name, ...command]
  const run = (...command: string[]): string => {
    const [program, ...args] = inside(command)
    const result = spawnSync(program!, args, { encoding: 'utf8' })
    if (result.status !== 0) throw new Error(`${command.join(' ')}: ${result.stderr}`)
    return result.stdout
  }
  const rules = (port: number): string[][] => [
    ['INPUT', '-p', 'tcp', '--dport', String(port), '-j', 'DROP'],
    ['INPUT', '-p', 'tcp', '--sport', String(port), '-j', 'DROP'],
  ]
  return {
    name,
    inside,
    run,
    partition: (port) => rules(port).forEach((rule) => run('iptables', '-A', ...rule)),
    heal: (port) => rules(port).forEach((rule) => run('iptables', '-D', ...rule)),
  }
}
