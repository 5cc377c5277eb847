// npm's install step for the native data plane: builds the addon with node-gyp against the
// system's libzmq (libzmq3-dev) where a compiler and the headers are present. Never fails
// the install: without the addon the shipper runs its JavaScript plane, and this says why
// in one line.
//
//   node src/native/build-addon.ts            (ZZS_NATIVE_BUILD=0 skips it)

import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runNodeGyp } from './node-gyp.ts'

function say(line: string): void {
  process.stderr.write(`zeek-zmq-shipper: ${line}\n`)
}

if (process.env.ZZS_NATIVE_BUILD === '0') {
  say('native data plane not built (ZZS_NATIVE_BUILD=0); the JavaScript plane will run')
} else {
  const problem = runNodeGyp(dirname(fileURLToPath(import.meta.url)))
  if (problem === undefined) say('native data plane built (src/native/build)')
  else say(`native data plane not built (${problem}); the JavaScript plane will run`)
}
