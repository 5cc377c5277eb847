// Typical mistakes in chart values, shared by the schema tests and the shipper-config tests.

import type { Values } from './chart.ts'

/**
 * Typical mistakes, each a change to the default values (null deletes a key, as in Helm).
 * `shipper: true` marks those that the shipper's own configuration loader refuses as well:
 * where both judge, the schema must not let through what the shipper would refuse.
 */
export const MISTAKES: { what: string; values: Values; shipper?: true }[] = [
  { what: 'an unknown top-level key (a typo of hwm)', values: { hwn: 100 } },
  { what: 'an unknown nested key (a typo of zeek.interface)', values: { zeek: { interfce: 'eth1' } } },
  { what: 'an unknown endpoint key', values: { endpoints: [{ name: 'siem', address: 'tcp://siem:5556', lingerMs: 100 }] } },
  { what: 'a negative global hwm', values: { hwm: -1 }, shipper: true },
  { what: 'a zero global hwm', values: { hwm: 0 }, shipper: true },
  { what: 'an hwm given as a string', values: { hwm: '1000' } },
  { what: 'a negative endpoint hwm', values: { endpoints: [{ name: 'siem', address: 'tcp://siem:5556', hwm: -5 }] }, shipper: true },
  { what: 'a negative endpoint linger', values: { endpoints: [{ name: 'siem', address: 'tcp://siem:5556', linger: -1 }] }, shipper: true },
  { what: 'an endpoint without an address', values: { endpoints: [{ name: 'siem', mode: 'bind' }] }, shipper: true },
  { what: 'an endpoint without a name', values: { endpoints: [{ address: 'tcp://siem:5556' }] } },
  { what: 'an endpoint address with an unsupported transport', values: { endpoints: [{ name: 'siem', address: 'udp://siem:5556' }] }, shipper: true },
  { what: 'an endpoint address with query parameters (they are structured values here)', values: { endpoints: [{ name: 'siem', address: 'tcp://siem:5556?hwm=10' }] }, shipper: true },
  { what: 'an unknown endpoint mode', values: { endpoints: [{ name: 'siem', address: 'tcp://siem:5556', mode: 'listen' }] }, shipper: true },
  { what: 'an include pattern that is not a log path', values: { endpoints: [{ name: 'siem', address: 'tcp://siem:5556', include: ['conn log'] }] }, shipper: true },
  { what: 'no endpoints at all', values: { endpoints: [] }, shipper: true },
  { what: 'an unknown chart mode', values: { mode: 'sensors' } },
  { what: 'a Zeek log id that is not a stream id', values: { zeek: { sendLogs: ['conn'] } } },
  { what: 'an HTTP port out of range', values: { httpPort: 70000 }, shipper: true },
  { what: 'an unknown log level', values: { logLevel: 'verbose' }, shipper: true },
  { what: 'a resources key that Kubernetes does not know', values: { shipper: { resources: { limit: { memory: '1Gi' } } } } },
  { what: 'a scrape interval without a unit', values: { serviceMonitor: { enabled: true, interval: '30' } } },
  { what: 'an extraEnv entry with a typo of valueFrom', values: { shipper: { extraEnv: [{ name: 'A', valueFom: { fieldRef: { fieldPath: 'spec.nodeName' } } }] } } },
  { what: 'a fieldRef without its fieldPath', values: { zeek: { extraEnv: [{ name: 'A', valueFrom: { fieldRef: {} } }] } } },
  { what: 'a probe handler (the chart sets it)', values: { shipper: { livenessProbe: { httpGet: { path: '/', port: 80 } } } } },
  { what: 'a probe field with a typo', values: { zeek: { livenessProbe: { periodSecond: 10 } } } },
  { what: 'an affinity with a typo', values: { affinity: { nodeAfinity: {} } } },
  { what: 'a node selector term with a typo', values: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpression: [] }] } } } } },
  { what: 'an extra volume of a kind the chart does not know', values: { extraVolumes: [{ name: 'x', nfs: { server: 'nfs', path: '/' } }] } },
  { what: 'an extra volume mount without a mountPath', values: { shipper: { extraVolumeMounts: [{ name: 'x' }] } } },
  { what: 'an envFrom with a typo', values: { shipper: { envFrom: [{ configMapRf: { name: 'x' } }] } } },
  { what: 'a pod label that is not a string', values: { podLabels: { tier: 1 } } },
  { what: 'a load balancer source range that is not a CIDR', values: { service: { loadBalancerSourceRanges: ['10.0.0.1'] } } },
  { what: 'a NetworkPolicy peer with a typo', values: { networkPolicy: { dataFrom: [{ ipblock: { cidr: '10.0.0.0/8' } }] } } },
  { what: 'a drop ratio above 1', values: { alerts: { dropRatio: 5 } } },
  { what: 'an alert hold time without a unit', values: { alerts: { for: '15' } } },
  { what: 'an image digest that is not a sha256 digest', values: { image: { digest: 'latest' } } },
  { what: 'a Zeek rotation interval that is not a Zeek interval', values: { zeek: { logRotationInterval: '1h' } } },
  { what: 'an extra container with a typo', values: { extraContainers: [{ name: 'x', image: 'x', volumMounts: [] }] } },
  { what: 'an extra container without an image', values: { extraContainers: [{ name: 'x' }] } },
  { what: 'an extra container probe handler with a typo', values: { extraContainers: [{ name: 'x', image: 'x', livenessProbe: { httpget: { port: 1 } } }] } },
  { what: 'an endpoint alerting flag given as a string', values: { endpoints: [{ name: 'a', address: 'tcp://a:1', alerting: 'no' }] } },
]
