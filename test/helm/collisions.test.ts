// Values that would render cleanly and fail at the API server or at the shipper's start:
// helm template fails instead, with a message naming both sides of the collision.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Values } from './chart.ts'
import { skipWithoutHelm as skip, template } from './render.ts'

const CASES: { what: string; scenario: string; values: Values; message: RegExp }[] = [
  {
    what: 'two endpoints with one name',
    scenario: 'values.yaml',
    values: { endpoints: [{ name: 'siem', address: 'tcp://a:1' }, { name: 'siem', address: 'tcp://b:1' }] },
    message: /two endpoints are named "siem"/,
  },
  {
    what: 'two bind endpoints on one port',
    scenario: 'values.yaml',
    values: { endpoints: [{ name: 'a', address: 'tcp://$(NODE_IP):5556', mode: 'bind' }, { name: 'b', address: 'tcp://$(NODE_IP):5556', mode: 'bind' }] },
    message: /the port of endpoint "b" \(5556\) is also the port of endpoint "a"/,
  },
  {
    what: 'a bind port equal to httpPort',
    scenario: 'values.yaml',
    values: { endpoints: [{ name: 'a', address: 'tcp://$(NODE_IP):8080', mode: 'bind' }] },
    message: /the port of endpoint "a" \(8080\) is also httpPort/,
  },
  {
    what: "a bind port equal to Zeek's telemetry port",
    scenario: 'values.yaml',
    values: { endpoints: [{ name: 'a', address: 'tcp://$(NODE_IP):9911', mode: 'bind' }] },
    message: /the port of endpoint "a" \(9911\) is also zeek\.telemetryPort/,
  },
  {
    what: 'a bind port equal to relay.inputPort',
    scenario: 'ci/relay-values.yaml',
    values: { endpoints: [{ name: 'a', address: 'tcp://0.0.0.0:6000', mode: 'bind' }] },
    message: /the port of endpoint "a" \(6000\) is also relay\.inputPort/,
  },
  {
    what: 'relay.inputPort equal to httpPort',
    scenario: 'ci/relay-values.yaml',
    values: { httpPort: 6000 },
    message: /relay\.inputPort 6000 is also httpPort/,
  },
]

for (const { what, scenario, values, message } of CASES) {
  test(`helm template fails on ${what}, naming both`, { skip }, () => {
    const { status, stderr } = template(scenario, values)
    assert.notEqual(status, 0, `rendered: ${JSON.stringify(values)}`)
    assert.match(stderr, message)
  })
}

test('a connect endpoint may share a port number with a bind endpoint or the HTTP port (it binds nothing here)', { skip }, () => {
  const endpoints = [
    { name: 'a', address: 'tcp://$(NODE_IP):5556', mode: 'bind' },
    { name: 'b', address: 'tcp://collector:5556' },
    { name: 'c', address: 'tcp://collector:8080' },
  ]
  assert.equal(template('values.yaml', { endpoints }).status, 0)
})
