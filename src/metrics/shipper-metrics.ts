// Prometheus metrics, read from the data plane's snapshot at scrape time. The hot path only
// increments numbers; nothing here runs per record, and nothing here knows which data
// plane is running.

import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import type { DataPlaneSnapshot, EndpointSnapshot } from '../plane/data-plane.ts'
import { DISCONNECT_REASONS, DROP_REASONS, REJECT_REASONS, SUBSCRIPTION_REJECT_REASONS } from '../record/reasons.ts'
import { AUTH_REJECT_REASONS } from '../security/auth-stats.ts'
import * as names from './metric-names.ts'
import type { MetricSpec } from './metric-names.ts'

type Labels = Record<string, string>
type Sample = [Labels, number]

// The data plane owns every value; at each scrape prom-client's copy is replaced by the
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

/**
 * One snapshot per scrape: every metric's collect() runs within the same scrape, so a
 * snapshot taken by the first is reused by the rest, and the figures agree with each other.
 */
function perScrape(take: () => DataPlaneSnapshot): () => DataPlaneSnapshot {
  let current: DataPlaneSnapshot | undefined
  return () => {
    if (current === undefined) {
      current = take()
      setImmediate(() => (current = undefined))
    }
    return current
  }
}

/** What the control plane itself counts. */
export interface ControlPlaneCounts {
  reloads(): Readonly<Record<'success' | 'failure', number>>
}

export function createMetricsRegistry(takeSnapshot: () => DataPlaneSnapshot, control?: ControlPlaneCounts): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const snapshot = perScrape(takeSnapshot)
  const perEndpoint =
    (value: (endpoint: EndpointSnapshot) => number) =>
    (): Sample[] =>
      snapshot().endpoints.map((endpoint) => [{ endpoint: endpoint.name }, value(endpoint)])

  register(registry, names.INPUT_RECORDS, () => snapshot().paths.map((path) => [{ path: path.name }, path.records]))
  register(registry, names.INPUT_BYTES, () => [[{}, snapshot().input.bytes]])
  register(registry, names.INPUT_REJECTED, () => REJECT_REASONS.map((reason) => [{ reason }, snapshot().input.rejected[reason]]))
  register(registry, names.INPUT_DISCONNECTS, () => DISCONNECT_REASONS.map((reason) => [{ reason }, snapshot().input.disconnects[reason]]))

  register(registry, names.ENDPOINT_SENT_RECORDS, function* () {
    const { paths, endpoints } = snapshot()
    for (const [i, endpoint] of endpoints.entries()) {
      // Every path the endpoint admits is exported, at zero too, so rate() sees its first record.
      for (const [p, path] of paths.entries()) if (path.admitted[i]) yield [{ endpoint: endpoint.name, path: path.name }, endpoint.sentByPath[p]!]
    }
  })
  register(registry, names.ENDPOINT_SENT_BYTES, perEndpoint((e) => e.sentBytes))
  register(registry, names.ENDPOINT_FILTERED_RECORDS, perEndpoint((e) => e.filtered))
  register(registry, names.ENDPOINT_DROPPED_RECORDS, function* () {
    for (const endpoint of snapshot().endpoints) for (const reason of DROP_REASONS) yield [{ endpoint: endpoint.name, reason }, endpoint.dropped[reason]]
  })
  register(registry, names.ENDPOINT_QUEUE_RECORDS, perEndpoint((e) => e.queueRecords))
  register(registry, names.ENDPOINT_QUEUE_CAPACITY, perEndpoint((e) => e.queueCapacity))
  register(registry, names.ENDPOINT_QUEUE_BYTES, perEndpoint((e) => e.queueBytes))
  register(registry, names.ENDPOINT_QUEUE_CAPACITY_BYTES, perEndpoint((e) => e.queueCapacityBytes))
  register(registry, names.ENDPOINT_SPOOL_RECORDS, perEndpoint((e) => e.spool.records))
  register(registry, names.ENDPOINT_SPOOL_BYTES, perEndpoint((e) => e.spool.bytes))
  register(registry, names.ENDPOINT_SPOOL_CAPACITY_BYTES, perEndpoint((e) => e.spool.capacityBytes))
  register(registry, names.ENDPOINT_SPOOL_RECOVERED_RECORDS, perEndpoint((e) => e.spool.recovered))
  register(registry, names.ENDPOINT_SPOOL_TRUNCATED_RECORDS, perEndpoint((e) => e.spool.truncated))
  register(registry, names.ENDPOINT_PEERS, perEndpoint((e) => e.peers))
  register(registry, names.ENDPOINT_SUBSCRIPTIONS_REJECTED, function* () {
    for (const endpoint of snapshot().endpoints) {
      for (const reason of SUBSCRIPTION_REJECT_REASONS) yield [{ endpoint: endpoint.name, reason }, endpoint.subscriptionsRejected[reason]]
    }
  })
  register(registry, names.AUTH_REJECTED, function* () {
    for (const [socket, counts] of snapshot().auth) for (const reason of AUTH_REJECT_REASONS) yield [{ socket, reason }, counts[reason]]
  })
  register(registry, names.INTERNAL_ERRORS, () => [[{}, snapshot().internalErrors]])
  register(registry, names.CONFIG_RELOADS, function* () {
    for (const [result, count] of Object.entries(control?.reloads() ?? { success: 0, failure: 0 })) yield [{ result }, count]
  })
  return registry
}
