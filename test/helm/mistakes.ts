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
  { what: 'an unknown endpoint key', values: { endpoints: [{ name: 'siem', address: 'tcp://siem:5556', lingerMs: 100 }] }, shipper: true },
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
]
