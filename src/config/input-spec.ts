// Input specs: where Zeek (or a sensor's shipper) publishes into this one. An address, and
// for a tcp input that other hosts reach, who may publish:
//
//   tcp://0.0.0.0:5555?curve=server&clients=/etc/zeek-zmq/sensors&allow=10.20.0.0/16
//
// The environment gives them as strings; a JSON config file may also give objects with
// `address` and the same keys.

import { ACCESS_KEYS, OPEN_ACCESS, parseAccess, type SocketAccess } from '../security/socket-access.ts'
import { describeSpec, readSpec } from './spec-fields.ts'
import { parseZmqAddress } from './zmq-address.ts'

export interface ParsedInputs {
  /** The addresses the input binds, without their query parameters. */
  readonly addresses: string[]
  /** Who may publish, by the index of the address. */
  readonly access: SocketAccess[]
  readonly problems: string[]
}

/**
 * Splits the ZEEK_ZMQ_INPUTS text at white space and ";", and at "," where the next
 * address begins: a comma inside allow=10.0.0.0/8,192.0.2.0/24 belongs to the list.
 */
export function splitInputs(text: string): string[] {
  return text.split(/[\s;]+|,(?=\s*[a-z][a-z0-9+.-]*:\/\/)/i).filter((spec) => spec.trim() !== '')
}

/** The address part of a spec string, for the checks that run before the specs are parsed. */
export function inputAddressOf(spec: string): string {
  const q = spec.indexOf('?')
  return q === -1 ? spec : spec.slice(0, q)
}

/** Parses every input spec; problems name the spec. Addresses of spec strings are checked by the schema. */
export function parseInputs(specs: unknown): ParsedInputs {
  const list: unknown[] = Array.isArray(specs) ? specs : []
  const result: ParsedInputs = { addresses: [], access: [], problems: [] }
  list.forEach((spec, index) => {
    const own: string[] = []
    const raw = typeof spec === 'string' || typeof spec === 'object' ? readSpec(spec, ACCESS_KEYS, own) : undefined
    if (raw !== undefined) {
      const parsed = raw.address === '' ? undefined : parseZmqAddress(raw.address, true)
      if (typeof parsed === 'string' && typeof spec !== 'string') own.push(parsed)
      const transport = typeof parsed === 'object' ? parsed.transport : 'tcp'
      const secured = ACCESS_KEYS.some((key) => raw.fields[key] !== undefined)
      result.addresses.push(raw.address)
      result.access.push(secured ? parseAccess(raw.fields, { binds: true, transport }, own) : OPEN_ACCESS)
    }
    for (const problem of own) result.problems.push(`input ${index + 1} (${describeSpec(spec)}): ${problem}`)
  })
  return result
}
