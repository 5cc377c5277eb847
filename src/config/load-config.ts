// Reads the settings from the environment (and an optional JSON file), validates all of
// them, and either returns a typed configuration or throws one error that lists every
// problem with the variable that caused it. Nothing is bound before this succeeds.

import { readFileSync } from 'node:fs'
import convict from 'convict'
import { ShipperError } from '../errors.ts'
import { parseEndpoints, type EndpointConfig } from './endpoint-spec.ts'
import { envOf, schema } from './schema.ts'

export interface ShipperConfig {
  readonly inputs: readonly string[]
  readonly endpoints: readonly EndpointConfig[]
  readonly maxRecordBytes: number
  readonly memoryLimitBytes: number
  readonly httpHost: string
  readonly httpPort: number
  readonly logLevel: string
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

/**
 * Two sockets bound on one address: binding an ipc path takes it over from the socket
 * bound there before, silently, so this is caught here rather than at run time.
 */
function bindClashes(inputs: unknown, endpoints: readonly EndpointConfig[], inputsName: string, endpointsName: string): string[] {
  const binders = [
    ...(Array.isArray(inputs) ? inputs.map((address: string) => ({ address, who: 'the input', setting: inputsName })) : []),
    ...endpoints.filter((e) => e.mode === 'bind').map((e) => ({ address: e.address, who: `endpoint "${e.name}"`, setting: endpointsName })),
  ].filter(({ address }) => !address.endsWith(':*'))
  const problems: string[] = []
  binders.forEach((binder, i) => {
    const earlier = binders.slice(0, i).find(({ address }) => address === binder.address)
    if (earlier !== undefined) problems.push(`${binder.setting}: ${binder.address} is bound by both ${earlier.who} and ${binder.who}`)
  })
  return problems
}

export function loadConfig(env: Env): ShipperConfig {
  // args: [] keeps convict from reading process.argv, which belongs to the CLI.
  const config = convict(schema, { env: env as NodeJS.ProcessEnv, args: [] })
  const problems: string[] = []

  const file = env.ZEEK_ZMQ_CONFIG ?? ''
  if (file !== '') {
    const { settings, problem } = readConfigFile(file)
    if (problem !== undefined) problems.push(problem)
    if (settings !== undefined) {
      // The file is loaded under the environment: variables still win.
      config.load(settings as object)
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
  })
  const endpointsName = settingName('endpoints', file)
  for (const problem of parsed.problems) problems.push(`${endpointsName}: ${problem}`)
  problems.push(...bindClashes(config.get('inputs'), parsed.endpoints, settingName('inputs', file), endpointsName))

  if (problems.length > 0) {
    throw new ShipperError('ERR_CONFIG', `invalid configuration:\n  ${problems.join('\n  ')}`, { problems })
  }
  return {
    inputs: config.get('inputs'),
    endpoints: parsed.endpoints,
    maxRecordBytes: config.get('maxRecordBytes'),
    memoryLimitBytes: config.get('memoryLimitBytes'),
    httpHost: config.get('httpHost'),
    httpPort: config.get('httpPort'),
    logLevel: config.get('logLevel'),
  }
}
