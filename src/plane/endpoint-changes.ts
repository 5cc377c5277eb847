// What a new set of endpoints changes, by name: both data planes apply a reconfigure from
// this one reading, so that they keep, add, remove and replace the same endpoints.

import { isDeepStrictEqual } from 'node:util'
import type { EndpointConfig } from '../config/endpoint-spec.ts'

export interface EndpointChanges {
  /** keep[i]: where in the running set the endpoint that stays as it is for after[i] is, or -1 when after[i] opens anew. */
  readonly keep: readonly number[]
  readonly added: string[]
  readonly removed: string[]
  /** Same name, other settings: replaced once the old one has drained. */
  readonly changed: string[]
  readonly unchanged: string[]
}

export function endpointChanges(before: readonly EndpointConfig[], after: readonly EndpointConfig[]): EndpointChanges {
  const keep = after.map((endpoint) => before.findIndex((old) => old.name === endpoint.name && isDeepStrictEqual(old, endpoint)))
  const running = (name: string): boolean => before.some((old) => old.name === name)
  const opening = after.filter((_, i) => keep[i]! < 0).map((endpoint) => endpoint.name)
  return {
    keep,
    added: opening.filter((name) => !running(name)),
    removed: before.filter((old) => !after.some((endpoint) => endpoint.name === old.name)).map((old) => old.name),
    changed: opening.filter(running),
    unchanged: after.filter((_, i) => keep[i]! >= 0).map((endpoint) => endpoint.name),
  }
}
