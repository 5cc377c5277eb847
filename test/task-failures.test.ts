// A promise the data path lets run on its own must never end the process: its failure is
// logged and counted (zeek_zmq_internal_errors_total) instead.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pino } from 'pino'
import { TaskFailures } from '../src/task-failures.ts'

test('a detached task that fails is logged and counted, not an unhandled rejection', async () => {
  const lines: Array<{ task?: string; err?: { message?: string } }> = []
  const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(JSON.parse(line)) })
  const failures = new TaskFailures(logger)
  let unhandled = 0
  const count = (): void => void unhandled++
  process.on('unhandledRejection', count)
  try {
    failures.detach('send-siem', Promise.reject(new Error('boom')))
    failures.detach('subscriptions', (async () => {})())
    await new Promise((resolve) => setTimeout(resolve, 20))
  } finally {
    process.off('unhandledRejection', count)
  }
  assert.equal(unhandled, 0)
  assert.equal(failures.count, 1)
  assert.equal(lines.length, 1)
  assert.equal(lines[0]!.task, 'send-siem')
  assert.equal(lines[0]!.err?.message, 'boom')
})
