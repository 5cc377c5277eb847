// Reads the settings from the environment (and an optional JSON file), validates all of
// them, and either returns a typed configuration or throws one error that lists every
// problem with the variable that caused it. Nothing is bound before this succeeds.

import { readFileSync } from 'node:fs'
import convict from 'convict'
import { ShipperError } from '../errors.ts'
import { CertificateProblem, readSecretCertificate, type CurveCertificate } from '../security/certificate.ts'
import { loadAccessKeys, OPEN_ACCESS, type SocketAccess } from '../security/socket-access.ts'
import { parseEndpoints, type EndpointConfig } from './endpoint-spec.ts'
import { expandEnvReferences } from './env-references.ts'
import { parseInputs } from './input-spec.ts'
import { MIN_SPOOL_BYTES, parseByteSize } from './spool-spec.ts'
import type { SpoolSync } from '../record/spool-sync-policy.ts'
import { nearestName } from './nearest-name.ts'
import { envOf, schema } from './schema.ts'
import { resolveIpcPath } from './zmq-address.ts'

export interface ShipperConfig {
  readonly inputs: readonly string[]
  /** Who may publish into each input, by the index of its address. */
  readonly inputAccess: readonly SocketAccess[]
  /** The shipper's own CURVE key pair (ZEEK_ZMQ_CURVE_CERT), when set. */
  readonly curveCert?: CurveCertificate
  readonly endpoints: readonly EndpointConfig[]
  readonly maxRecordBytes: number
  readonly maxPaths: number
  readonly pathIdleS: number
  readonly memoryLimitBytes: number
  readonly httpHost: string
  readonly httpPort: number
  readonly logLevel: string
  readonly dataPlane: 'auto' | 'native' | 'js'
}

export type Env = Readonly<Record<string, string | undefined>>

/** Names a setting as an operator sets it: the variable, and the file key where there is a file. */
function settingName(key: string, file: string): string {
  const env = envOf(key)
  if (env === undefined) return file === '' ? key : `"${key}" in ${file}`
  return file === '' ? env : `${env} (or "${key}" in ${file})`
}

// convict reports "key: message: value was ..."; operators set variables, so name those.
function renameProblem(line: string, file: string): string {
  const declared = /^configuration param '([^']+)' not declared in the schema$/.exec(line)
  if (declared !== null) return `"${declared[1]}" in ${file} is not a setting (known: ${Object.keys(schema).join(', ')})`
  const match = /^(\w+): (.*)$/s.exec(line)
  if (match === null || envOf(match[1]!) === undefined) return line
  return `${settingName(match[1]!, file)}: ${match[2]}`
}

function readConfigFile(path: string): { settings?: unknown; problem?: string } {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    return { problem: `ZEEK_ZMQ_CONFIG: cannot read ${path}: ${(err as Error).message}` }
  }
  try {
    const settings: unknown = JSON.parse(text)
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
      return { problem: `ZEEK_ZMQ_CONFIG: ${path} must hold a JSON object of settings` }
    }
    return { settings }
  } catch (err) {
    return { problem: `ZEEK_ZMQ_CONFIG: ${path} is not valid JSON: ${(err as Error).message}` }
  }
}

/** Variables under the shipper's prefix that belong to the Zeek container (the writer plugin's settings). */
const FOREIGN_PREFIXES = ['ZEEK_ZMQ_WRITER_']
const SHIPPER_PREFIX = 'ZEEK_ZMQ_'

/**
 * A ZEEK_ZMQ_* variable the schema does not know is a typo until proven otherwise: a
 * misspelt ZEEK_ZMQ_ENDPIONTS would otherwise leave the default in force without a word.
 */
function unknownVariables(env: Env): string[] {
  const known = Object.values(schema).map((item) => item.env)
  return Object.keys(env)
    .filter((name) => name.startsWith(SHIPPER_PREFIX) && !known.includes(name) && !FOREIGN_PREFIXES.some((prefix) => name.startsWith(prefix)))
    .sort()
    .map((name) => `${name}: not a setting of the shipper; did you mean ${nearestName(name, known)}? (${FOREIGN_PREFIXES.join(', ')}* are left to the Zeek container)`)
}

/** What the OS binds: an ipc address by the socket file it names, however it is spelt. */
function bindKey(address: string): string {
  return address.startsWith('ipc://') ? `ipc://${resolveIpcPath(address.slice('ipc://'.length))}` : address
}

export interface Binder {
  readonly kind: 'input' | 'endpoint'
  /** Who binds, for messages: "the input", `endpoint "siem"`. */
  readonly who: string
  readonly address: string
}

/** Every address the shipper binds (inputs and bind-mode endpoints), and who binds it. */
export function bindersOf(inputs: readonly string[], endpoints: readonly EndpointConfig[]): Binder[] {
  return [
    ...inputs.map((address) => ({ kind: 'input' as const, address, who: 'the input' })),
    ...endpoints.filter((e) => e.mode === 'bind').map((e) => ({ kind: 'endpoint' as const, address: e.address, who: `endpoint "${e.name}"` })),
  ]
}

/**
 * Two sockets bound on one address: binding an ipc path takes it over from the socket
 * bound there before, silently, so this is caught here rather than at run time.
 */
function bindClashes(addresses: readonly string[], endpoints: readonly EndpointConfig[], names: Record<Binder['kind'], string>): string[] {
  const binders = bindersOf(addresses, endpoints)
    .filter(({ address }) => !address.endsWith(':*'))
    .map((binder) => ({ ...binder, key: bindKey(binder.address) }))
  const problems: string[] = []
  binders.forEach((binder, i) => {
    const earlier = binders.slice(0, i).find(({ key }) => key === binder.key)
    if (earlier === undefined) return
    const spelling = earlier.address === binder.address ? '' : ` (${earlier.address} and ${binder.address} are both ${binder.key})`
    problems.push(`${names[binder.kind]}: ${binder.address} is bound by both ${earlier.who} and ${binder.who}${spelling}`)
  })
  return problems
}

function loadKeys(access: SocketAccess, who: string, problems: string[]): SocketAccess {
  const own: string[] = []
  const loaded = loadAccessKeys(access, own)
  for (const problem of own) problems.push(`${who}: ${problem}`)
  return loaded
}

/** The shipper's key pair: required as soon as one socket speaks CURVE, and checked whenever it is set. */
function readCurveCertificate(path: string, name: string, access: ReadonlyArray<SocketAccess | undefined>, problems: string[]): CurveCertificate | undefined {
  const users = access.filter((a) => a?.curve !== undefined).length
  if (path === '') {
    if (users > 0) problems.push(`${name}: not set, but ${users} endpoint(s) or input(s) use curve=server or curve=client; give the path of the shipper's secret certificate (zeek-zmq-shipper keygen NAME writes one)`)
    return undefined
  }
  try {
    return readSecretCertificate(path)
  } catch (err) {
    if (!(err instanceof CertificateProblem)) throw err
    problems.push(`${name}: ${err.message}`)
    return undefined
  }
}

/** ZEEK_ZMQ_SPOOL_MAX in bytes; when it is invalid (reported by validate()), anything, as the configuration is refused anyway. */
function sizeOrDefault(value: unknown): number {
  const parsed = parseByteSize(String(value))
  return typeof parsed === 'number' ? parsed : MIN_SPOOL_BYTES
}

export function loadConfig(env: Env): ShipperConfig {
  // args: [] keeps convict from reading process.argv, which belongs to the CLI.
  const config = convict(schema, { env: env as NodeJS.ProcessEnv, args: [] })
  const problems: string[] = unknownVariables(env)

  const file = env.ZEEK_ZMQ_CONFIG ?? ''
  if (file !== '') {
    const { settings, problem } = readConfigFile(file)
    if (problem !== undefined) problems.push(problem)
    if (settings !== undefined) {
      const fileSettings = settings as Record<string, unknown>
      if (fileSettings.endpoints !== undefined) {
        const own: string[] = []
        fileSettings.endpoints = expandEnvReferences(fileSettings.endpoints, env, own)
        for (const problem of own) problems.push(`${settingName('endpoints', file)}: ${problem}`)
      }
      // The file is loaded under the environment: variables still win.
      config.load(fileSettings)
      for (const [key, item] of Object.entries(schema)) {
        const value = env[item.env]
        if (value !== undefined) config.set(key as never, value as never)
      }
    }
  }

  try {
    config.validate({ allowed: 'strict' })
  } catch (err) {
    for (const line of (err as Error).message.split('\n')) problems.push(renameProblem(line, file))
  }

  const parsed = parseEndpoints(config.get('endpoints'), {
    hwm: config.get('hwm'),
    hwmBytes: config.get('queueBytes'),
    lingerMs: config.get('lingerMs'),
    include: config.get('sendLogs'),
    exclude: config.get('excludedLogs'),
    peerTimeoutMs: config.get('peerTimeoutMs'),
    maxRecordBytes: config.get('maxRecordBytes'),
    maxTopicBytes: config.get('maxTopicBytes'),
    maxSubscriptions: config.get('maxSubscriptions'),
    spoolDir: config.get('spoolDir'),
    spoolMaxBytes: sizeOrDefault(config.get('spoolMax')),
    spoolSync: config.get('spoolSync') as SpoolSync,
  })
  const endpointsName = settingName('endpoints', file)
  for (const problem of parsed.problems) problems.push(`${endpointsName}: ${problem}`)
  const inputs = parseInputs(config.get('inputs'))
  const inputsName = settingName('inputs', file)
  for (const problem of inputs.problems) problems.push(`${inputsName}: ${problem}`)
  problems.push(...bindClashes(inputs.addresses, parsed.endpoints, { input: inputsName, endpoint: endpointsName }))

  const curveCert = readCurveCertificate(config.get('curveCert'), settingName('curveCert', file), [...parsed.endpoints.map((e) => e.access), ...inputs.access], problems)
  const endpoints = parsed.endpoints.map((endpoint) => {
    if (endpoint.access === undefined) return endpoint
    return { ...endpoint, access: loadKeys(endpoint.access, `${endpointsName}: endpoint "${endpoint.name}"`, problems) }
  })
  const inputAccess = inputs.access.map((access, i) => (access === OPEN_ACCESS ? access : loadKeys(access, `${inputsName}: input ${inputs.addresses[i]}`, problems)))

  if (problems.length > 0) {
    throw new ShipperError('ERR_CONFIG', `invalid configuration:\n  ${problems.join('\n  ')}`, { problems })
  }
  return {
    inputs: inputs.addresses,
    inputAccess,
    ...(curveCert === undefined ? {} : { curveCert }),
    endpoints,
    maxRecordBytes: config.get('maxRecordBytes'),
    maxPaths: config.get('maxPaths'),
    pathIdleS: config.get('pathIdleS'),
    memoryLimitBytes: config.get('memoryLimitBytes'),
    httpHost: config.get('httpHost'),
    httpPort: config.get('httpPort'),
    logLevel: config.get('logLevel'),
    dataPlane: config.get('dataPlane') as ShipperConfig['dataPlane'],
  }
}
