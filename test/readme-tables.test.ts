// The README's configuration and metrics tables are generated; this fails when they are stale.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { schema } from '../src/config/schema.ts'
import { SHIPPER_METRICS } from '../src/metrics/metric-names.ts'
import { updateReadme } from '../src/readme-tables.ts'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

test('the README tables are current (run npm run docs to regenerate)', () => {
  assert.equal(readme, updateReadme(readme))
})

test('every setting and every metric appears in the README', () => {
  for (const item of Object.values(schema)) assert.ok(readme.includes(`\`${item.env}\``), item.env)
  for (const metric of SHIPPER_METRICS) assert.ok(readme.includes(`\`${metric.name}\``), metric.name)
})
