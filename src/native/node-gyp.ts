// Running node-gyp on the addon's folder without a download: the Node-API headers from
// the node-api-headers package, and npm's own node-gyp. Used by npm's install step
// (build-addon.ts) and by the sanitizer run (test/native/sanitizers.ts).

import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/**
 * A Node.js "headers directory" for node-gyp made of the Node-API headers alone (the
 * node-api-headers package): the addon uses nothing else of Node.js, so it builds the same
 * wherever Node.js is installed, headers or not, and node-gyp downloads nothing.
 */
function nodeApiHeaders(): string {
  const headers = join(dirname(createRequire(import.meta.url).resolve('node-api-headers/package.json')), 'include')
  const dir = mkdtempSync(join(tmpdir(), 'zzs-node-api-'))
  mkdirSync(join(dir, 'include', 'node'), { recursive: true })
  for (const file of readdirSync(headers)) cpSync(join(headers, file), join(dir, 'include', 'node', file))
  // node-gyp includes this; Node.js's own carries its build settings, which a Node-API addon does not need.
  writeFileSync(join(dir, 'include', 'node', 'common.gypi'), "{ 'variables': {}, 'target_defaults': {} }\n")
  return dir
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
  const given = env.npm_config_nodedir
  const headers = given === undefined || given === '' ? nodeApiHeaders() : given
  try {
    const [command, ...args] = nodeGyp()
    const result = spawnSync(command!, [...args, 'rebuild', `--nodedir=${headers}`], { cwd: dir, env, encoding: 'utf8' })
    if (result.status === 0) return undefined
    return result.error?.message ?? problemLine(`${result.stdout}\n${result.stderr}`)
  } finally {
    if (headers !== given) rmSync(headers, { recursive: true, force: true })
  }
}
