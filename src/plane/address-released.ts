// After an endpoint's socket closes, ZeroMQ gives its address back in the background: a
// tcp port takes a moment to be free (the replacement's bind retries on EADDRINUSE), and
// an ipc socket file is removed by ZeroMQ a moment later, which would remove the file of
// a replacement bound in that moment. So a replacement waits for the old file to go.

import { existsSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import { resolveIpcPath } from '../config/zmq-address.ts'

const WAIT_MS = 2000
const POLL_MS = 10

export async function addressReleased(address: string): Promise<void> {
  if (!address.startsWith('ipc://')) return
  const path = resolveIpcPath(address.slice('ipc://'.length))
  const deadline = Date.now() + WAIT_MS
  while (existsSync(path) && Date.now() < deadline) await delay(POLL_MS)
}
