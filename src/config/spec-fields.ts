// The two spellings of an endpoint or input spec: a ZeroMQ address with query parameters
// (from the environment), or an object with `address` and the same keys (from a JSON
// config file). Both come out as the address and the parameters as text.

export interface SpecFields<K extends string> {
  readonly address: string
  readonly fields: Partial<Record<K, string>>
}

function isKey<K extends string>(keys: readonly K[], key: string): key is K {
  return (keys as readonly string[]).includes(key)
}

function fromString<K extends string>(spec: string, keys: readonly K[], problems: string[]): SpecFields<K> {
  const q = spec.indexOf('?')
  const address = q === -1 ? spec : spec.slice(0, q)
  const fields: Partial<Record<K, string>> = {}
  if (q !== -1) {
    for (const [key, value] of new URLSearchParams(spec.slice(q + 1))) {
      if (!isKey(keys, key)) problems.push(`unknown query parameter "${key}" (known: ${keys.join(', ')})`)
      else if (fields[key] !== undefined) problems.push(`query parameter "${key}" given twice`)
      else fields[key] = value
    }
  }
  return { address, fields }
}

function fromObject<K extends string>(spec: Record<string, unknown>, keys: readonly K[], problems: string[]): SpecFields<K> {
  const fields: Partial<Record<K, string>> = {}
  let address = ''
  for (const [key, value] of Object.entries(spec)) {
    if (key === 'address') {
      if (typeof value === 'string') address = value
      else problems.push('"address" must be a string')
    } else if (!isKey(keys, key)) {
      problems.push(`unknown key "${key}" (known: address, ${keys.join(', ')})`)
    } else if (Array.isArray(value)) {
      fields[key] = value.map(String).join(',')
    } else if (value !== undefined && value !== null) {
      fields[key] = String(value)
    }
  }
  if (address === '' && !problems.some((p) => p.startsWith('"address"'))) problems.push('no "address"')
  return { address, fields }
}

/** The address and parameters of one spec, or undefined (with a problem) when it is neither a string nor an object. */
export function readSpec<K extends string>(spec: unknown, keys: readonly K[], problems: string[]): SpecFields<K> | undefined {
  if (typeof spec === 'string') return fromString(spec, keys, problems)
  if (typeof spec === 'object' && spec !== null && !Array.isArray(spec)) return fromObject(spec as Record<string, unknown>, keys, problems)
  problems.push(`must be a spec string or an object, not ${JSON.stringify(spec)}`)
  return undefined
}

/** A spec as messages show it. */
export function describeSpec(spec: unknown): string {
  return typeof spec === 'string' ? spec : JSON.stringify(spec)
}
