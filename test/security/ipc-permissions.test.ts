// The Zeek-to-shipper hop over ipc has no CURVE: the socket file's and its directory's
// permissions decide who may connect. Connecting to a Unix socket needs write permission
// on the socket file and search permission on every directory above it; the shipper's
// socket files get the mode its umask leaves (0755 under the usual 022: only its own user,
// and root, may connect). Checked here with a process of another user (nobody), which
// needs root to start.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { chmodSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { spawnShipper } from '../cli/cli-process.ts'
import { ipcDir } from '../helpers/sockets.ts'
import { PYTHON } from '../helpers/pyzmq.ts'

const NOBODY = 65534
const NOT_ROOT = process.getuid?.() === 0 ? false : 'needs root to connect as another user (nobody); run the tests as root, as CI does in its container'

// Connects to a Unix socket as nobody and prints the outcome: "connected" or the errno name.
const CONNECT_AS_NOBODY = `
import errno, os, socket, sys
os.setgroups([]); os.setgid(${NOBODY}); os.setuid(${NOBODY})
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
    print("connected")
except OSError as e:
    print(errno.errorcode[e.errno])
`

function connectAsNobody(path: string): string {
  const result = spawnSync(PYTHON, ['-c', CONNECT_AS_NOBODY, path], { encoding: 'utf8' })
  assert.equal(result.status, 0, result.stderr)
  return result.stdout.trim()
}

test('the ipc input: another user cannot connect under umask 022, nor through a directory only the shipper may enter', { skip: NOT_ROOT }, async (t) => {
  const dir = ipcDir(t)
  chmodSync(dir, 0o755) // reachable by everyone: the socket file's mode alone decides
  const input = join(dir, 'zeek.sock')
  const shipper = spawnShipper(t, { ZEEK_ZMQ_INPUTS: `ipc://${input}`, ZEEK_ZMQ_ENDPOINTS: `ipc://${join(dir, 'out.sock')}?mode=bind` })
  await shipper.logLine('shipper ready')

  // spawnShipper runs the shipper with this process's umask.
  const umask = process.umask()
  assert.equal(statSync(input).mode & 0o777, 0o777 & ~umask)
  if ((umask & 0o002) !== 0) assert.equal(connectAsNobody(input), 'EACCES', 'no write permission for others on the socket file')

  // Whatever the socket file's mode, a directory closed to others keeps them out.
  chmodSync(input, 0o777)
  assert.equal(connectAsNobody(input), 'connected', 'a socket open to all, in a directory open to all')
  chmodSync(dir, 0o700)
  assert.equal(connectAsNobody(input), 'EACCES', 'the directory is closed to others')
})
