// promtool checks the rule file and runs its unit tests, in which each alert fires and
// resolves (Debian's prometheus package provides promtool).

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'
import { findExecutable } from '../helm/chart.ts'
import { minutes, readRules, RULES_FILE, RULES_TEST_FILE } from './promql.ts'

const promtool = findExecutable('promtool', 'PROMTOOL')
const skip = promtool === undefined ? 'promtool is not installed (Debian package prometheus; .ci/run installs it)' : false

function promtoolRun(args: string[]): { status: number | null; output: string } {
  const result = spawnSync(promtool!, args, { cwd: dirname(RULES_FILE), encoding: 'utf8', timeout: 60_000 })
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

test('promtool check rules accepts rules/alerts.yml', { skip }, () => {
  const { status, output } = promtoolRun(['check', 'rules', RULES_FILE])
  assert.equal(status, 0, output)
  assert.match(output, new RegExp(`SUCCESS: ${readRules().length} rules found`))
})

test('promtool test rules: each alert fires and resolves, and the no-false-alarm cases raise nothing (rules/alerts.test.yml)', { skip }, () => {
  const { status, output } = promtoolRun(['test', 'rules', RULES_TEST_FILE])
  assert.equal(status, 0, output)
  assert.match(output, /SUCCESS/)
})

test('the unit tests show every alert firing and, later, resolved', () => {
  interface AlertTest { eval_time: string; alertname: string; exp_alerts: unknown[] }
  const file = parse(readFileSync(RULES_TEST_FILE, 'utf8')) as { tests: { alert_rule_test: AlertTest[] }[] }
  for (const rule of readRules()) {
    const cases = file.tests.flatMap((t) => t.alert_rule_test).filter((c) => c.alertname === rule.alert)
    const firing = cases.filter((c) => c.exp_alerts.length > 0).map((c) => minutes(c.eval_time))
    const resolved = cases.filter((c) => c.exp_alerts.length === 0).map((c) => minutes(c.eval_time))
    assert.ok(firing.length > 0, `${rule.alert} is never shown firing`)
    assert.ok(resolved.some((time) => time > Math.min(...firing)), `${rule.alert} is never shown resolved after firing`)
  }
})
