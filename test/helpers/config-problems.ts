// The problems loadConfig reports for an environment, for tests of invalid configuration.

import assert from 'node:assert/strict'
import { loadConfig, type Env } from '../../src/config/load-config.ts'
import { isShipperError } from '../../src/errors.ts'

export function problemsOf(env: Env): string[] {
  try {
    loadConfig(env)
  } catch (err) {
    assert.ok(isShipperError(err, 'ERR_CONFIG'), `expected a configuration error, got ${String(err)}`)
    return err.problems as string[]
  }
  assert.fail('the configuration was accepted')
}
