// A raw ZMTP 3.0 peer over a plain TCP socket: it speaks as much of the protocol as a test
// needs (greeting, NULL handshake, frames) and can then say anything, such as a frame
// header that announces 16 GiB, which no ZeroMQ library would send.

import { connect, type Socket } from 'node:net'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'

const MORE = 0x01
const LARGE = 0x02
const COMMAND = 0x04

/** The 64-byte ZMTP 3.0 greeting: signature, version 3.0, mechanism NULL, as-server 0. */
export function greeting(): Buffer {
  const bytes = Buffer.alloc(64)
  bytes[0] = 0xff
  bytes[9] = 0x7f
  bytes[10] = 3
  bytes[11] = 0
  bytes.write('NULL', 12, 'latin1')
  return bytes
}

/** A frame header for a body of `size` bytes (the long form from 256 bytes, or when forced). */
export function frameHeader(size: bigint | number, flags: { more?: boolean; command?: boolean; long?: boolean } = {}): Buffer {
  const long = flags.long === true || BigInt(size) > 255n
  const first = (flags.more === true ? MORE : 0) | (flags.command === true ? COMMAND : 0) | (long ? LARGE : 0)
  if (!long) return Buffer.from([first, Number(size)])
  const header = Buffer.alloc(9)
  header[0] = first
  header.writeBigUInt64BE(BigInt(size), 1)
  return header
}

export function frame(body: Buffer, more = false): Buffer {
  return Buffer.concat([frameHeader(body.length, { more }), body])
}

/** The NULL mechanism's READY command of a PUB socket, as Zeek's writer sends it. */
export function readyCommand(socketType = 'PUB'): Buffer {
  const name = Buffer.from('Socket-Type', 'latin1')
  const value = Buffer.from(socketType, 'latin1')
  const valueLength = Buffer.alloc(4)
  valueLength.writeUInt32BE(value.length)
  const body = Buffer.concat([Buffer.from([5]), Buffer.from('READY', 'latin1'), Buffer.from([name.length]), name, valueLength, value])
  return Buffer.concat([frameHeader(body.length, { command: true }), body])
}

/** A message of frames in wire form: every frame but the last has MORE set. */
export function message(frames: readonly Buffer[]): Buffer {
  return Buffer.concat(frames.map((body, i) => frame(body, i < frames.length - 1)))
}

export interface RawPeer {
  readonly socket: Socket
  /** Resolves once the connection is closed by either side; `reset` when the other side cut it. */
  readonly closed: Promise<{ reset: boolean }>
  write(bytes: Buffer): Promise<boolean>
  /**
   * Greets as a PUB and waits for the other side's greeting and READY: libzmq treats a
   * message that arrives before it has sent its own READY as a protocol error. Resolves
   * false if the connection ends first.
   */
  handshake(): Promise<boolean>
}

/** Whether `bytes` hold a whole greeting and the command frame after it. */
function greetedBy(bytes: Buffer): boolean {
  if (bytes.length < 66) return false
  const long = (bytes[64]! & LARGE) !== 0
  if (long) return bytes.length >= 73 && BigInt(bytes.length) >= 73n + bytes.readBigUInt64BE(65)
  return bytes.length >= 66 + bytes[65]!
}

/** Connects a plain TCP socket; `write` resolves false once the connection is gone. */
export async function rawConnect(address: string): Promise<RawPeer> {
  const match = /^tcp:\/\/([^:]+):(\d+)$/.exec(address)
  if (match === null) throw new Error(`not a tcp address: ${address}`)
  const socket = connect({ host: match[1]!, port: Number(match[2]) })
  let reset = false
  socket.on('error', () => {
    reset = true
  })
  const closed = new Promise<{ reset: boolean }>((resolve) => socket.once('close', () => resolve({ reset })))
  let received = Buffer.alloc(0)
  let greeted: (() => void) | undefined
  socket.on('data', (chunk: Buffer) => {
    if (received.length < 4096) received = Buffer.concat([received, chunk])
    if (greetedBy(received)) greeted?.()
  })
  await once(socket, 'connect')
  const peer: RawPeer = {
    socket,
    closed,
    async handshake() {
      if (!(await peer.write(Buffer.concat([greeting(), readyCommand('PUB')])))) return false
      if (greetedBy(received)) return true
      return Promise.race([new Promise<boolean>((resolve) => (greeted = () => resolve(true))), closed.then(() => false)])
    },
    async write(bytes) {
      if (socket.destroyed) return false
      const flushed = socket.write(bytes)
      if (!flushed) {
        // once() rejects on 'error': a cut connection is an answer here, not a failure.
        const drained = await Promise.race([once(socket, 'drain').then(() => true, () => false), closed.then(() => false)])
        if (!drained) return false
      }
      return !socket.destroyed
    },
  }
  return peer
}

/** Resident memory of a process in bytes (Linux /proc), or undefined where there is no /proc. */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match === null ? undefined : Number(match[1]) * 1024
  } catch {
    return undefined
  }
}
