// Running node-gyp on the addon's folder without a download: Node.js's headers where they
// are already on the machine, and npm's own node-gyp. Used by npm's install step
// (build-addon.ts) and by the sanitizer run (test/native/sanitizers.ts).

import { spawnSync } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** Node.js's headers where they are already on the machine: node-gyp would otherwise download them. */
function nodeHeaders(): string | undefined {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir
  const prefix = dirname(dirname(realpathSync(process.execPath)))
  const candidates = [prefix, join(prefix, 'node_modules', `node-${process.platform}-${process.arch}`), '/usr/local', '/usr']
  return candidates.find((dir) => existsSync(join(dir, 'include', 'node', 'node_api.h')) && existsSync(join(dir, 'include', 'node', 'common.gypi')))
}

/** npm hands its own node-gyp to install scripts; otherwise the one beside npm, or on PATH. */
function nodeGyp(): string[] {
  const fromNpm = process.env.npm_config_node_gyp
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, fromNpm]
  const prefix = dirname(dirname(realpathSync(process.execPath)))
  for (const npm of ['/usr/lib/node_modules/npm', '/usr/local/lib/node_modules/npm', join(prefix, 'lib', 'node_modules', 'npm')]) {
    const script = join(npm, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
    if (existsSync(script)) return [process.execPath, script]
  }
  return ['node-gyp']
}

function problemLine(text: string): string {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('gyp info'))
  return lines.find((line) => /error|fatal|not found|No such file/i.test(line)) ?? lines.at(-1) ?? 'no output'
}

/** Builds the addon in `dir` (a folder with binding.gyp); undefined when built, else the line that says why not. */
export function runNodeGyp(dir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const headers = nodeHeaders()
  const [command, ...args] = nodeGyp()
  const result = spawnSync(command!, [...args, 'rebuild', ...(headers === undefined ? [] : [`--nodedir=${headers}`])], { cwd: dir, env, encoding: 'utf8' })
  if (result.status === 0) return undefined
  return result.error?.message ?? problemLine(`${result.stdout}\n${result.stderr}`)
}
