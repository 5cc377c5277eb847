// Without a helm binary, the chart's templates are still read here: every value they use
// must exist in values.yaml, and every branch they take on values must be taken by some
// scenario (values.yaml or a ci/ file), so that every template line is rendered by one.
// The conditions are evaluated by a small evaluator of the template functions they use.

import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'node:test'
import { CHART_DIR, defaultValues, scenarios, type EndpointValues, type Values } from './chart.ts'

function templateFiles(dir = join(CHART_DIR, 'templates')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? templateFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  )
}

const templates = templateFiles().map((file) => ({ file: relative(CHART_DIR, file), text: readFileSync(file, 'utf8') }))

interface Branch {
  where: string
  keyword: 'if' | 'else if' | 'with' | 'range'
  condition: string
  /** A refusal: the branch does nothing but fail the install (the tests of refused values take it). */
  refusal: boolean
}

/** The branches the templates take on values alone (not on loop variables or the release). */
function branches(): Branch[] {
  const found: Branch[] = []
  for (const { file, text } of templates) {
    for (const match of text.matchAll(/\{\{-?\s*(if|else if|with|range)\s+(.*?)\s*-?\}\}/g)) {
      let condition = match[2]!
      condition = condition.includes(':=') ? condition.slice(condition.indexOf(':=') + 2).trim() : condition
      if (!condition.includes('.Values.') || /\$(?!\.Values)|\.Release|\.Chart|include /.test(condition)) continue
      const line = text.slice(0, match.index).split('\n').length
      const refusal = /^\s*\{\{-?\s*fail /.test(text.slice(match.index + match[0].length))
      found.push({ where: `${file}:${line}`, keyword: match[1] as Branch['keyword'], condition, refusal })
    }
  }
  return found
}

type Term = string | number | { path: string[] } | Term[]

function parseTerms(text: string): Term[] {
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|\(|\)|[^\s()]+/g) ?? []
  let i = 0
  const terms = (): Term[] => {
    const list: Term[] = []
    while (i < tokens.length) {
      const token = tokens[i++]!
      if (token === ')') return list
      if (token === '(') list.push(terms())
      else if (token.startsWith('"')) list.push(JSON.parse(token) as string)
      else if (/^-?\d+$/.test(token)) list.push(Number(token))
      else if (token.startsWith('.Values.')) list.push({ path: token.slice('.Values.'.length).split('.') })
      else list.push(token)
    }
    return list
  }
  return terms()
}

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0
  if (typeof value === 'object' && value !== null) return Object.keys(value).length > 0
  return Boolean(value)
}

const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  gt: (a, b) => (a as number) > (b as number),
  lt: (a, b) => (a as number) < (b as number),
  until: (n) => Array.from({ length: Number(n) }, (_, i) => i),
  len: (a) => (Array.isArray(a) || typeof a === 'string' ? a.length : Object.keys(a ?? {}).length),
  int: (a) => Math.trunc(Number(a ?? 0)),
  and: (...args) => args.every(truthy),
  or: (...args) => args.some(truthy),
  not: (a) => !truthy(a),
  default: (fallback, value) => (truthy(value) ? value : fallback),
}

function evaluate(terms: Term[], values: Values): unknown {
  const value = (term: Term): unknown => {
    if (Array.isArray(term)) return evaluate(term, values)
    if (typeof term === 'object') return term.path.reduce<unknown>((node, key) => (node as Values | undefined)?.[key], values)
    return term
  }
  const [head, ...args] = terms
  if (typeof head === 'string' && !(head in FUNCTIONS) && args.length > 0) throw new Error(`the evaluator does not know ${head}`)
  if (typeof head === 'string' && head in FUNCTIONS) return FUNCTIONS[head]!(...args.map(value))
  assert.equal(args.length, 0, `cannot evaluate ${JSON.stringify(terms)}`)
  return value(head!)
}

test('the evaluator reads conditions as Helm does', () => {
  const values = { mode: 'sensor', zeek: { telemetryPort: 9911 }, list: [], map: {} }
  assert.equal(evaluate(parseTerms('and (eq .Values.mode "sensor") (gt (int .Values.zeek.telemetryPort) 0)'), values), true)
  assert.equal(evaluate(parseTerms('eq .Values.mode "relay"'), values), false)
  assert.equal(truthy(evaluate(parseTerms('.Values.list'), values)), false)
  assert.equal(truthy(evaluate(parseTerms('.Values.map'), values)), false)
})

test('every value the templates read exists in values.yaml', () => {
  const defaults = defaultValues()
  for (const { file, text } of templates) {
    for (const [path] of text.matchAll(/\.Values(\.[A-Za-z_][\w]*)+/g)) {
      const keys = path.slice('.Values.'.length).split('.')
      let node: unknown = defaults
      for (const key of keys) {
        assert.ok(typeof node === 'object' && node !== null && key in node, `${file} reads ${path}, which values.yaml does not have`)
        node = (node as Values)[key]
      }
    }
  }
})

test('every branch the templates take on values is taken, and skipped where it can be, by some scenario', () => {
  const all = scenarios()
  const found = branches()
  assert.ok(found.length >= 20, `found ${found.length} branches`)
  for (const branch of found) {
    const terms = parseTerms(branch.condition)
    const outcomes = all.map(({ name, values }) => ({ name, taken: truthy(evaluate(terms, values)) }))
    if (branch.refusal) {
      // Every scenario is a valid install; collisions.test.ts and exposure.test.ts take these.
      assert.deepEqual(outcomes.filter((o) => o.taken).map((o) => o.name), [], `${branch.where}: a scenario is refused by {{ ${branch.keyword} ${branch.condition} }}`)
      continue
    }
    assert.ok(outcomes.some((o) => o.taken), `${branch.where}: no scenario takes {{ ${branch.keyword} ${branch.condition} }}`)
    if (branch.keyword === 'if' || branch.keyword === 'else if') {
      assert.ok(outcomes.some((o) => !o.taken), `${branch.where}: every scenario takes {{ ${branch.keyword} ${branch.condition} }}, so its else is never rendered`)
    }
  }
})

test('the endpoint branches (bind tcp, bind ipc, connect, own linger or not) are all rendered by some scenario', () => {
  const endpoints = scenarios().flatMap(({ values }) => values.endpoints as EndpointValues[])
  const kinds: [string, (e: EndpointValues) => boolean][] = [
    ['a bind-mode tcp endpoint (a Service port)', (e) => e.mode === 'bind' && e.address.startsWith('tcp://')],
    ['a bind-mode ipc endpoint (no Service port)', (e) => e.mode === 'bind' && e.address.startsWith('ipc://')],
    ['an explicit connect-mode endpoint', (e) => e.mode === 'connect'],
    ['an endpoint without a mode (connect by default)', (e) => e.mode === undefined],
    ['an endpoint with its own linger (in the grace period)', (e) => e.linger !== undefined],
    ['an endpoint without its own linger', (e) => e.linger === undefined],
  ]
  for (const [what, is] of kinds) assert.ok(endpoints.some(is), `no scenario has ${what}`)
})
