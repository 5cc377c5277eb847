// Shared pieces of the container tests: whether a Docker engine answers (and why not),
// the project's images built once per run, free loopback ports for host-network
// containers, and a container's output gathered as it runs.

import { createServer } from 'node:net'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { TestContext } from 'node:test'
import { GenericContainer, getContainerRuntimeClient, type ContainerRuntimeClient, type StartedTestContainer } from 'testcontainers'
import { ROOT } from '../cli/cli-process.ts'

/** The Zeek release the Zeek image is built on: zeek/Dockerfile's default. */
export const ZEEK_VERSION = process.env.ZEEK_VERSION ?? '8.0.10'

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000}s`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

let engine: Promise<{ client?: ContainerRuntimeClient; reason?: string }> | undefined

/** The container runtime, or why there is none: every container test skips with that reason. */
export function dockerEngine(): Promise<{ client?: ContainerRuntimeClient; reason?: string }> {
  engine ??= withTimeout(getContainerRuntimeClient(), 30_000, 'the Docker engine').then(
    (client) => ({ client }),
    (err: unknown) => ({ reason: `no Docker engine answers here (${(err as Error).message.split('\n')[0]}), so the container tests cannot run` }),
  )
  return engine
}

let shipperImage: Promise<GenericContainer> | undefined

/** The shipper image, built from the project's Dockerfile once per test run. */
export function buildShipperImage(): Promise<GenericContainer> {
  shipperImage ??= GenericContainer.fromDockerfile(ROOT).build('zeek-zmq-shipper:test', { deleteOnExit: false })
  return shipperImage
}

/**
 * Whether zeek/zeek:VERSION, the Zeek image's base, is here or can be pulled, and if not
 * exactly why: the Zeek container test needs it and skips without it.
 */
export async function zeekBaseImage(client: ContainerRuntimeClient): Promise<{ reason?: string }> {
  const { ImageName } = await import('testcontainers')
  const image = ImageName.fromString(`zeek/zeek:${ZEEK_VERSION}`)
  if (await client.image.exists(image)) return {}
  let why: string
  try {
    await withTimeout(client.image.pull(image), 300_000, `pulling zeek/zeek:${ZEEK_VERSION}`)
    // A pull that fails part way can still end quietly: what counts is the image.
    if (await client.image.exists(image)) return {}
    why = 'the pull ended without the image'
  } catch (err) {
    why = (err as Error).message.split('\n')[0]!
  }
  return {
    reason: `the Zeek image's base zeek/zeek:${ZEEK_VERSION} is not here and cannot be pulled (${why}); the Zeek container test runs wherever that image can be pulled`,
  }
}

export function buildZeekImage(): Promise<GenericContainer> {
  return GenericContainer.fromDockerfile(join(ROOT, 'zeek'))
    .withBuildArgs({ ZEEK_VERSION })
    .build(`zeek-zmq-shipper-zeek:test-${ZEEK_VERSION}`, { deleteOnExit: false })
}

/** Free TCP ports on 127.0.0.1, for containers on the host's network bound to loopback. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const server = createServer()
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve(server))
    })),
  )
  const ports = servers.map((server) => (server.address() as { port: number }).port)
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  return ports
}

/** A container's output (stdout and stderr, as `docker logs` shows it), gathered as it runs. */
export class ContainerOutput {
  #text = ''
  readonly #waiters = new Set<() => void>()

  /** For GenericContainer.withLogConsumer. */
  readonly consume = (stream: Readable): void => {
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      this.#text += chunk
      for (const waiter of this.#waiters) waiter()
    })
  }

  text(): string {
    return this.#text
  }

  /** The JSON log lines written so far. */
  jsonLines(): Array<Record<string, unknown>> {
    return this.#text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  }

  /** Resolves once the output matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = pattern.exec(this.#text)
        if (match === null) return
        clearTimeout(timer)
        this.#waiters.delete(check)
        resolve(match)
      }
      const timer = setTimeout(() => {
        this.#waiters.delete(check)
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern} in the container's output:\n${this.#text}`))
      }, timeoutMs)
      this.#waiters.add(check)
      check()
    })
  }
}

/**
 * Removes the container after the test, whatever state it is in; `stop({ remove: false })`
 * in a test keeps it until then, so that its exit code can be read.
 */
export function removeAfter(t: TestContext, client: ContainerRuntimeClient, container: StartedTestContainer): void {
  t.after(async () => {
    await client.container.getById(container.getId()).remove({ force: true, v: true }).catch(() => undefined)
  })
}

export async function exitCode(client: ContainerRuntimeClient, container: StartedTestContainer): Promise<number> {
  const info = await client.container.inspect(client.container.getById(container.getId()))
  return info.State.ExitCode
}
