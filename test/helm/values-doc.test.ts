// Every value of the chart is described in values.yaml and in the README's values table.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { defaultValues } from './chart.ts'
import { leafPaths, README, updateReadme, valueDocs } from './values-doc.ts'

test('each `# key -- description` comment in values.yaml names the key right below it', () => {
  const docs = valueDocs()
  assert.ok(docs.length > 30)
  for (const doc of docs) assert.equal(doc.describes, doc.key, `the comment "# ${doc.key} --" stands above ${doc.describes}`)
})

test('every value in values.yaml is described, itself or through the value that holds it', () => {
  const documented = valueDocs().map((doc) => doc.key)
  for (const path of leafPaths(defaultValues())) {
    assert.ok(documented.some((key) => path === key || path.startsWith(`${key}.`)), `${path} has no "# ${path} -- description" comment`)
  }
})

test('the chart README values table is current (node test/helm/values-doc.ts --write regenerates it)', () => {
  const readme = readFileSync(README, 'utf8')
  assert.equal(readme, updateReadme(readme))
})
