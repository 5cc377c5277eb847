// The PromQL of the Grafana dashboard and the alert rules, as the tests read it: every
// expression with where it comes from, Grafana's variables substituted, and the metric
// names each one uses.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { CHART_DIR } from '../helm/chart.ts'

export const DASHBOARD_FILE = join(CHART_DIR, 'dashboards', 'zeek-zmq-shipper.json')
export const RULES_FILE = join(CHART_DIR, 'rules', 'alerts.yml')
export const RULES_TEST_FILE = join(CHART_DIR, 'rules', 'alerts.test.yml')

export interface Panel {
  title: string
  description?: string
  type: string
  targets?: { expr: string; refId: string; legendFormat?: string; instant?: boolean; range?: boolean }[]
}

export interface TemplateVariable {
  name: string
  type: string
  query: string | { query: string }
  description?: string
  allValue?: string
}

export interface Dashboard {
  uid: string
  title: string
  panels: Panel[]
  templating: { list: TemplateVariable[] }
}

export interface Rule {
  alert: string
  expr: string
  for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

export const readDashboard = (): Dashboard => JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard

/** A Prometheus duration such as 15m or 1h, in minutes. */
export function minutes(duration: string): number {
  const units: Record<string, number> = { s: 1 / 60, m: 1, h: 60, d: 1440 }
  return [...duration.matchAll(/(\d+)([smhd])/g)].reduce((sum, [, n, unit]) => sum + Number(n) * units[unit!]!, 0)
}

export function readRules(): Rule[] {
  const file = parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: Rule[] }[] }
  return file.groups.flatMap((group) => group.rules)
}

export interface Expression {
  /** Where it comes from: "panel <title> <refId>" or "alert <name>". */
  source: string
  expr: string
}

export function dashboardExpressions(dashboard = readDashboard()): (Expression & { panel: string })[] {
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ source: `panel "${panel.title}" ${target.refId}`, panel: panel.title, expr: target.expr })),
  )
}

export function ruleExpressions(rules = readRules()): Expression[] {
  return rules.map((rule) => ({ source: `alert ${rule.alert}`, expr: rule.expr }))
}

/** The selector of a query variable `label_values(selector, label)`, and the label. */
export function labelValuesQuery(variable: TemplateVariable): { selector: string; label: string } | undefined {
  const query = typeof variable.query === 'string' ? variable.query : variable.query.query
  const match = /^label_values\((.+),\s*(\w+)\)$/.exec(query.trim())
  return match === null ? undefined : { selector: match[1]!, label: match[2]! }
}

/** Replaces Grafana's variables ($name, ${name}, $__rate_interval, ...) with the given text. */
export function substitute(expr: string, variables: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!
    const value = variables[name]
    if (value === undefined) throw new Error(`no value for the dashboard variable ${whole} in ${expr}`)
    return value
  })
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan'])

/** The metric names an expression selects (not functions, keywords, labels or durations). */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // string literals
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
  const names = new Set<string>()
  for (const match of bare.matchAll(/(?<![\w.$])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = match
    if (call !== undefined || KEYWORDS.has(name!.toLowerCase())) continue
    names.add(name!)
  }
  return [...names]
}

/** Zeek's own telemetry, exported by Zeek and not by the shipper (Zeek's metrics reference). */
export const ZEEK_METRICS: ReadonlySet<string> = new Set(['zeek_log_writer_writes_total'])

/** Series that Prometheus makes itself for every target. */
export const PROMETHEUS_METRICS: ReadonlySet<string> = new Set(['up'])

/** A relabeling as a ServiceMonitor writes it. */
export interface Relabeling {
  action: string
  regex?: string
  targetLabel?: string
  replacement?: string
}

/**
 * The relabelings of the chart's ServiceMonitor for the shipper (monitoring-objects.test.ts
 * holds the rendered ones to these): the operator's target label "endpoint" dropped, so the
 * shipper's own survives with honor_labels off, and the job the rules expect.
 */
export const SHIPPER_RELABELINGS: readonly Relabeling[] = [
  { action: 'labeldrop', regex: 'endpoint' },
  { action: 'replace', targetLabel: 'job', replacement: 'zeek-zmq-shipper' },
]

/** The same for Zeek's telemetry, scraped from the same pod as job zeek. */
export const ZEEK_RELABELINGS: readonly Relabeling[] = [
  { action: 'labeldrop', regex: 'endpoint' },
  { action: 'replace', targetLabel: 'job', replacement: 'zeek' },
]

/** A ServiceMonitor relabeling as a Prometheus scrape config's relabel_configs entry. */
export function relabelConfig({ action, regex, targetLabel, replacement }: Relabeling): Record<string, string> {
  return Object.fromEntries(Object.entries({ action, regex, target_label: targetLabel, replacement }).filter(([, v]) => v !== undefined)) as Record<string, string>
}
