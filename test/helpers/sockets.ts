// Test factories for real ZeroMQ sockets on loopback and in a private ipc directory.
// Each factory registers its own cleanup on the test context.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { Subscriber, XPublisher } from 'zeromq'

export type TransportName = 'tcp' | 'ipc'
export const TRANSPORTS: readonly TransportName[] = ['tcp', 'ipc']

/** A private directory for ipc sockets, removed after the test. */
export function ipcDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'zzs-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

let ipcCounter = 0

/** An address to bind on: tcp with a port the OS picks, or a fresh ipc path. */
export function bindAddress(t: TestContext, transport: TransportName): string {
  return transport === 'tcp' ? 'tcp://127.0.0.1:*' : `ipc://${join(ipcDir(t), `s${++ipcCounter}.sock`)}`
}

/**
 * A subscriber to everything that reads in the background, as real subscribers do.
 * (A socket nobody reads never processes ZeroMQ's commands: a bound SUB would not even
 * send its subscription to a peer that connects.) `stalled` starts it without reading.
 */
export class TestSubscriber {
  readonly socket: Subscriber
  readonly received: Buffer[][] = []
  #reading = false
  #paused = false
  #resume: (() => void) | undefined

  constructor(socket: Subscriber) {
    this.socket = socket
  }

  /** Starts (or resumes) the background reader. */
  read(): void {
    this.#paused = false
    this.#resume?.()
    if (this.#reading) return
    this.#reading = true
    void (async () => {
      try {
        for (;;) {
          if (this.#paused) await new Promise<void>((resolve) => (this.#resume = resolve))
          this.received.push(await this.socket.receive())
        }
      } catch {
        // closed at the end of the test
      }
    })()
  }

  /** Stops reading after the receive already under way: the subscriber stalls. */
  pause(): void {
    this.#paused = true
  }

  /** Waits until n messages have arrived (in total) and returns those n. */
  async take(n: number, timeoutMs = 10_000): Promise<Buffer[][]> {
    await waitFor(() => this.received.length >= n, `${n} messages (have ${this.received.length})`, timeoutMs)
    return this.received.slice(0, n)
  }

  /** Waits until nothing new has arrived for quietMs, and returns all received. */
  async quiet(quietMs: number): Promise<Buffer[][]> {
    let seen = -1
    while (seen !== this.received.length) {
      seen = this.received.length
      await new Promise((resolve) => setTimeout(resolve, quietMs))
    }
    return this.received
  }
}

export async function subscriber(
  t: TestContext,
  how: { bind: string } | { connect: string },
  options: { receiveHighWaterMark?: number; receiveBufferSize?: number; stalled?: boolean; topics?: string[] } = {},
): Promise<TestSubscriber> {
  const { stalled = false, topics = [''], ...socketOptions } = options
  const socket = new Subscriber({ linger: 0, ...socketOptions })
  const sub = new TestSubscriber(socket)
  t.after(() => socket.close())
  socket.subscribe(...topics)
  if ('bind' in how) await socket.bind(how.bind)
  else socket.connect(how.connect)
  if (!stalled) sub.read()
  return sub
}

/** The address a bound socket really listens on. */
export function boundAt(socket: TestSubscriber | XPublisher): string {
  const address = (socket instanceof TestSubscriber ? socket.socket : socket).lastEndpoint
  if (address === null) throw new Error('socket is not bound')
  return address
}

/**
 * Stands in for Zeek's writer: connects to the shipper's input and resolves once the
 * input's subscription has arrived, so nothing published afterwards is lost to ZeroMQ's
 * slow-joiner window. (An XPUB socket sends exactly as a PUB does, and shows subscriptions.)
 */
export async function publisher(t: TestContext, connectTo: string): Promise<XPublisher> {
  const socket = new XPublisher({ linger: 0, sendHighWaterMark: 0, receiveTimeout: 10_000 })
  t.after(() => socket.close())
  socket.connect(connectTo)
  const [subscription] = await socket.receive()
  if (subscription?.[0] !== 1) throw new Error('expected a subscription from the input')
  return socket
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000, everyMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
