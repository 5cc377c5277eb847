// The chart README's values table, made from the `# key -- description` comments of
// values.yaml and the defaults they describe. values-doc.test.ts checks that it is current;
// `node test/helm/values-doc.ts --write` rewrites it.

import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CHART_DIR, defaultValues, type Values } from './chart.ts'

export const README = join(CHART_DIR, 'README.md')
const START = '<!-- values-table:start -->'
const END = '<!-- values-table:end -->'

export interface ValueDoc {
  key: string
  description: string
  /** The path of the YAML key right below the comment; equals `key` when the comment is right. */
  describes: string
}

/** The documented values, in file order. */
export function valueDocs(text = readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')): ValueDoc[] {
  const docs: ValueDoc[] = []
  const stack: { indent: number; key: string }[] = []
  let pending: { key: string; description: string } | undefined
  for (const line of text.split('\n')) {
    const comment = /^\s*# ([\w.]+) -- (.+)$/.exec(line)
    if (comment !== null) {
      pending = { key: comment[1]!, description: comment[2]! }
      continue
    }
    const key = /^(\s*)([A-Za-z_][\w-]*):/.exec(line)
    if (key === null) continue
    const indent = key[1]!.length
    while (stack.length > 0 && stack.at(-1)!.indent >= indent) stack.pop()
    stack.push({ indent, key: key[2]! })
    if (pending !== undefined) {
      docs.push({ ...pending, describes: stack.map((s) => s.key).join('.') })
      pending = undefined
    }
  }
  return docs
}

export function valueAt(values: Values, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Values | undefined)?.[key], values)
}

/** Every path of values.yaml that holds a scalar, a list or an empty map. */
export function leafPaths(values: Values, prefix = ''): string[] {
  return Object.entries(values).flatMap(([key, value]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`
    const isMap = typeof value === 'object' && value !== null && !Array.isArray(value)
    return isMap && Object.keys(value).length > 0 ? leafPaths(value as Values, path) : [path]
  })
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'list'
  if (value === null) return 'null'
  if (typeof value === 'number' && Number.isInteger(value)) return 'int'
  return typeof value === 'object' ? 'object' : typeof value
}

const cell = (text: string): string => text.replace(/\|/g, '\\|')

export function valuesTable(): string {
  const values = defaultValues()
  const rows = valueDocs().map(({ key, description }) => {
    const value = valueAt(values, key)
    return `| \`${key}\` | ${typeOf(value)} | \`${cell(JSON.stringify(value))}\` | ${cell(description)} |`
  })
  return ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |', ...rows].join('\n')
}

/** The README with its values table replaced by the current one. */
export function updateReadme(readme: string): string {
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start === -1 || end < start) throw new Error(`${README} lacks the markers ${START} and ${END}`)
  return `${readme.slice(0, start + START.length)}\n${valuesTable()}\n${readme.slice(end)}`
}

if (process.argv[1] === import.meta.filename && process.argv.includes('--write')) {
  writeFileSync(README, updateReadme(readFileSync(README, 'utf8')))
}
