// npm's install step for the native data plane: builds the addon with node-gyp against the
// system's libzmq (libzmq3-dev) where a compiler and the headers are present. Never fails
// the install: without the addon the shipper runs its JavaScript plane, and this says why
// in one line.
//
//   node src/native/build-addon.ts            (ZZS_NATIVE_BUILD=0 skips it)

import { spawnSync } from 'node:child_process'
import { existsSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))

function say(line: string): void {
  process.stderr.write(`zeek-zmq-shipper: ${line}\n`)
}

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
  for (const npm of ['/usr/lib/node_modules/npm', '/usr/local/lib/node_modules/npm', join(dirname(dirname(realpathSync(process.execPath))), 'lib', 'node_modules', 'npm')]) {
    const script = join(npm, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
    if (existsSync(script)) return [process.execPath, script]
  }
  return ['node-gyp']
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('gyp info'))
  return lines.find((line) => /error|fatal|not found|No such file/i.test(line)) ?? lines.at(-1) ?? 'no output'
}

if (process.env.ZZS_NATIVE_BUILD === '0') {
  say('native data plane not built (ZZS_NATIVE_BUILD=0); the JavaScript plane will run')
} else {
  const headers = nodeHeaders()
  const [command, ...args] = nodeGyp()
  const result = spawnSync(command!, [...args, 'rebuild', ...(headers === undefined ? [] : [`--nodedir=${headers}`])], { cwd: HERE, encoding: 'utf8' })
  if (result.status === 0) say('native data plane built (src/native/build)')
  else say(`native data plane not built (${result.error?.message ?? lastLine(`${result.stdout}\n${result.stderr}`)}); the JavaScript plane will run`)
}
