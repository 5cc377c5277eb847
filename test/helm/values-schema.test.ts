// values.schema.json is what makes a typo in values an error at install time: it must
// accept every shipped values file, refuse the mistakes operators make, and be closed
// (additionalProperties: false) at every level.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { Ajv } from 'ajv'
import { CHART_DIR, ciFiles, defaultValues, mergeValues, scenarios, type Values } from './chart.ts'
import { MISTAKES } from './mistakes.ts'

const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as Record<string, unknown>
const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema)

function problems(values: Values): string {
  return validate(values) ? '' : JSON.stringify(validate.errors, null, 2)
}


test('values.schema.json accepts values.yaml and every ci/ scenario', () => {
  assert.ok(ciFiles().length >= 2, 'the ci/ folder has the scenarios')
  for (const { name, values } of scenarios()) assert.equal(problems(values), '', name)
})

for (const mistake of MISTAKES) {
  test(`values.schema.json rejects ${mistake.what}`, () => {
    const values = mergeValues(defaultValues(), mistake.values)
    assert.equal(validate(values), false, `accepted: ${JSON.stringify(mistake.values)}`)
  })
}

// Conditions (if) and what they add (then, else) only narrow a value that the schema
// around them describes, closed; closing them too would refuse every other key.
const CONDITIONAL = new Set(['if', 'then', 'else'])

test('values.schema.json is closed at every level: each object schema sets additionalProperties, never true', () => {
  const open: string[] = []
  const walk = (node: unknown, where: string): void => {
    if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${where}[${i}]`))
    if (typeof node !== 'object' || node === null) return
    const record = node as Record<string, unknown>
    if (record.type === 'object' && (record.additionalProperties === undefined || record.additionalProperties === true)) open.push(where)
    for (const [key, value] of Object.entries(record)) if (!CONDITIONAL.has(key)) walk(value, `${where}/${key}`)
  }
  walk(schema, '#')
  assert.deepEqual(open, [])
})
