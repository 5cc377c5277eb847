// The folders of src/ form layers: each imports only the folders below it, so the data
// path reads from the bottom up (record, then queue, router and input, then output, then
// the plane that assembles them) and the control plane (metrics, http, cli) sees only the
// data plane's interface. A new import that breaks a layer, or makes a cycle, fails here.

import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'node:test'

const SRC = resolve(import.meta.dirname, '../src')

/** What each folder may import, besides itself and the files at the top of src/ (errors, logger). */
const ALLOWED: Record<string, readonly string[]> = {
  record: [],
  security: [],
  native: [], // the native plane's C++ and its build scripts; src/plane/native-plane.ts loads the addon
  config: ['record', 'security'],
  queue: ['record'],
  router: ['record'],
  spool: ['record'],
  input: ['record', 'config'],
  output: ['record', 'queue', 'spool', 'config'],
  plane: ['record', 'config', 'security', 'queue', 'spool', 'router', 'input', 'output'],
  metrics: ['record', 'security', 'plane'],
  http: ['plane'],
  cli: ['record', 'config', 'security', 'plane', 'metrics', 'http'],
}

/** The plane's assembly (js-plane.ts) is the only file of the control plane's side that may name the data path's parts. */
const CONTROL_PLANE_SEES = { cli: ['plane/data-plane.ts', 'plane/js-plane.ts', 'plane/select-plane.ts'] }

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

function localImports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/^(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm)].map((match) => relative(SRC, resolve(dirname(file), match[1]!)))
}

const folderOf = (path: string): string | undefined => (path.includes('/') ? path.split('/')[0] : undefined)

test('each folder of src/ imports only the folders below it', () => {
  const breaches: string[] = []
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(relative(SRC, file))
    if (from === undefined) continue // the files at the top: index, errors, logger, task-failures, readme-tables
    assert.ok(from in ALLOWED, `src/${from}/ is a new folder: give it its place in ALLOWED`)
    for (const target of localImports(file)) {
      const to = folderOf(target)
      if (to === undefined || to === from) continue
      if (!ALLOWED[from]!.includes(to)) breaches.push(`${relative(SRC, file)} imports ${target}`)
      else if (from === 'cli' && to === 'plane' && !CONTROL_PLANE_SEES.cli.includes(target)) breaches.push(`${relative(SRC, file)} imports ${target}`)
    }
  }
  assert.deepEqual(breaches, [])
})

test('the layers have no cycle', () => {
  const visiting = new Set<string>()
  const done = new Set<string>()
  const visit = (folder: string, trail: string[]): void => {
    assert.ok(!visiting.has(folder), `a cycle: ${[...trail, folder].join(' -> ')}`)
    if (done.has(folder)) return
    visiting.add(folder)
    for (const below of ALLOWED[folder] ?? []) visit(below, [...trail, folder])
    visiting.delete(folder)
    done.add(folder)
  }
  for (const folder of Object.keys(ALLOWED)) visit(folder, [])
})
