// Image references: the images are built from this repository, so there is no registry to
// default to; an install without one fails, naming the value, rather than pulling an
// unrelated image from Docker Hub. A digest wins over the tag.

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CHART_DIR } from './chart.ts'
import { containersOf, runHelm, render, skipWithoutHelm as skip, workloadOf } from './render.ts'

test('values.yaml alone fails, naming image.registry', { skip }, () => {
  const { status, stderr } = runHelm(['template', 'zeek-zmq-shipper', CHART_DIR])
  assert.notEqual(status, 0)
  assert.match(stderr, /image\.registry is empty: the images are built from this repository/)
})

test("the registry prefixes both images, Zeek's own registry wins for Zeek, and a digest wins over the tag", { skip }, () => {
  const plain = containersOf(workloadOf(render('values.yaml')))
  assert.equal(plain.shipper.image, 'registry.example.com/nsm/zeek-zmq-shipper:0.1.0')
  assert.equal(plain.zeek!.image, 'registry.example.com/nsm/zeek-zmq-shipper-zeek:0.1.0')
  const pinned = containersOf(workloadOf(render('ci/monitoring-values.yaml')))
  assert.equal(pinned.shipper.image, 'registry.example.com/nsm/zeek-zmq-shipper@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef')
  assert.equal(pinned.zeek!.image, 'mirror.example.com/zeek/zeek-zmq-shipper-zeek:0.1.0')
  const relay = containersOf(workloadOf(render('ci/relay-values.yaml')))
  assert.equal(relay.shipper.image, 'registry.example.com/nsm/zeek-zmq-shipper:0.1.0', 'a trailing slash on the registry is dropped')
})
