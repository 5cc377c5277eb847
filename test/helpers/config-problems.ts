// The problems loadConfig reports for an environment, for tests of invalid configuration.

import assert from 'node:assert/strict'
import { test } from 'node:test'
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

/** A test per case, [what, environment, pattern]: one of the problems loadConfig reports matches the pattern. */
export function testProblems(cases: ReadonlyArray<readonly [string, Env, RegExp]>): void {
  for (const [what, env, expected] of cases) {
    test(what, () => {
      const problems = problemsOf(env)
      assert.ok(problems.some((p) => expected.test(p)), `no problem matched ${expected}:\n${problems.join('\n')}`)
    })
  }
}
