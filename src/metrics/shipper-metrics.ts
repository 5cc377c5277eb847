// Prometheus metrics, read from the shipper's plain-number counters at scrape time.
// The hot path only increments numbers; nothing here runs per record.

import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import { DISCONNECT_REASONS, REJECT_REASONS, type InputStats } from '../input/input-stats.ts'
import type { Endpoint } from '../output/endpoint.ts'
import { SUBSCRIPTION_REJECT_REASONS } from '../output/subscriptions.ts'
import type { LogPath } from '../router/path-table.ts'
import { AUTH_REJECT_REASONS, type AuthStats } from '../security/auth-stats.ts'
import * as names from './metric-names.ts'
import type { MetricSpec } from './metric-names.ts'

export interface MetricSource {
  readonly input: InputStats
  readonly endpoints: readonly Endpoint[]
  paths(): readonly LogPath[]
  readonly auth?: AuthStats
}

type Labels = Record<string, string>
type Sample = [Labels, number]

// The shipper owns every value; at each scrape prom-client's copy is replaced by the
// current ones. The metric's type, from metric-names.ts, picks the prom-client class.
function register(registry: Registry, spec: MetricSpec, samples: () => Iterable<Sample>): void {
  const common = { name: spec.name, help: spec.help, labelNames: spec.labels, registers: [registry] }
  if (spec.type === 'counter') {
    new Counter({
      ...common,
      collect() {
        this.reset()
        for (const [labels, value] of samples()) this.inc(labels, value)
      },
    })
  } else {
    new Gauge({
      ...common,
      collect() {
        for (const [labels, value] of samples()) this.set(labels, value)
      },
    })
  }
}

function perEndpoint(source: MetricSource, value: (endpoint: Endpoint) => number): () => Sample[] {
  return () => source.endpoints.map((endpoint) => [{ endpoint: endpoint.name }, value(endpoint)])
}

export function createMetricsRegistry(source: MetricSource): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  register(registry, names.INPUT_RECORDS, () => source.paths().map((path) => [{ path: path.name }, path.records]))
  register(registry, names.INPUT_BYTES, () => [[{}, source.input.bytes]])
  register(registry, names.INPUT_REJECTED, () => REJECT_REASONS.map((reason) => [{ reason }, source.input.rejected[reason]]))
  register(registry, names.INPUT_DISCONNECTS, () => DISCONNECT_REASONS.map((reason) => [{ reason }, source.input.disconnects[reason]]))

  register(registry, names.ENDPOINT_SENT_RECORDS, function* () {
    const paths = source.paths()
    for (const [i, endpoint] of source.endpoints.entries()) {
      // Every path the endpoint admits is exported, at zero too, so rate() sees its first record.
      for (const path of paths) if (path.admitted[i]) yield [{ endpoint: endpoint.name, path: path.name }, endpoint.counters.sentByPath[path.id]!]
    }
  })
  register(registry, names.ENDPOINT_SENT_BYTES, perEndpoint(source, (e) => e.counters.sentBytes))
  register(registry, names.ENDPOINT_FILTERED_RECORDS, perEndpoint(source, (e) => e.counters.filtered))
  register(registry, names.ENDPOINT_DROPPED_RECORDS, function* () {
    for (const endpoint of source.endpoints) {
      yield [{ endpoint: endpoint.name, reason: 'queue_full' }, endpoint.counters.droppedQueueFull]
      yield [{ endpoint: endpoint.name, reason: 'memory_limit' }, endpoint.counters.droppedMemoryLimit]
      yield [{ endpoint: endpoint.name, reason: 'shutdown' }, endpoint.counters.droppedShutdown]
    }
  })
  register(registry, names.ENDPOINT_QUEUE_RECORDS, perEndpoint(source, (e) => e.queue.length))
  register(registry, names.ENDPOINT_QUEUE_CAPACITY, perEndpoint(source, (e) => e.queue.capacity))
  register(registry, names.ENDPOINT_QUEUE_BYTES, perEndpoint(source, (e) => e.queue.bytes))
  register(registry, names.ENDPOINT_QUEUE_CAPACITY_BYTES, perEndpoint(source, (e) => e.queue.capacityBytes))
  register(registry, names.ENDPOINT_PEERS, perEndpoint(source, (e) => e.peers))
  register(registry, names.ENDPOINT_SUBSCRIPTIONS_REJECTED, function* () {
    for (const endpoint of source.endpoints) {
      for (const reason of SUBSCRIPTION_REJECT_REASONS) yield [{ endpoint: endpoint.name, reason }, endpoint.counters.subscriptionsRejected[reason]]
    }
  })
  register(registry, names.AUTH_REJECTED, function* () {
    for (const [socket, counts] of source.auth?.rejected ?? []) for (const reason of AUTH_REJECT_REASONS) yield [{ socket, reason }, counts[reason]]
  })
  return registry
}
