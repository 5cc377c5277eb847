// The one place where the shipper's metric names, types, labels and help texts live.
// Dashboards, alert rules and tests depend on these names: change them only with all of those.

export type MetricType = 'counter' | 'gauge'

export interface MetricSpec {
  readonly name: string
  readonly type: MetricType
  readonly labels: readonly string[]
  readonly help: string
}

export const INPUT_RECORDS = {
  name: 'zeek_zmq_input_records_total',
  type: 'counter',
  labels: ['path'],
  help: 'Zeek log records accepted from the input socket, by Zeek log path.',
} as const satisfies MetricSpec

export const INPUT_BYTES = {
  name: 'zeek_zmq_input_bytes_total',
  type: 'counter',
  labels: [],
  help: 'Bytes of accepted input messages (path frame plus record frame).',
} as const satisfies MetricSpec

export const INPUT_REJECTED = {
  name: 'zeek_zmq_input_rejected_total',
  type: 'counter',
  labels: ['reason'],
  help: 'Input messages rejected as malformed and never forwarded, by reason.',
} as const satisfies MetricSpec

export const INPUT_DISCONNECTS = {
  name: 'zeek_zmq_input_disconnects_total',
  type: 'counter',
  labels: ['reason'],
  help: "Publisher connections to the input that ended: handshake_failed (not a ZeroMQ publisher) or closed (the publisher left, or ZeroMQ cut it off for a frame over the input's size limit; libzmq reports both alike).",
} as const satisfies MetricSpec

export const ENDPOINT_SENT_RECORDS = {
  name: 'zeek_zmq_endpoint_sent_records_total',
  type: 'counter',
  labels: ['endpoint', 'path'],
  help: 'Records handed to ZeroMQ for an endpoint with at least one subscriber, by Zeek log path.',
} as const satisfies MetricSpec

export const ENDPOINT_SENT_BYTES = {
  name: 'zeek_zmq_endpoint_sent_bytes_total',
  type: 'counter',
  labels: ['endpoint'],
  help: 'Bytes handed to ZeroMQ for an endpoint (path frame plus record frame).',
} as const satisfies MetricSpec

export const ENDPOINT_FILTERED_RECORDS = {
  name: 'zeek_zmq_endpoint_filtered_records_total',
  type: 'counter',
  labels: ['endpoint'],
  help: "Records not sent to an endpoint because its include/exclude filters, or its subscribers' topics, do not admit their path.",
} as const satisfies MetricSpec

export const ENDPOINT_DROPPED_RECORDS = {
  name: 'zeek_zmq_endpoint_dropped_records_total',
  type: 'counter',
  labels: ['endpoint', 'reason'],
  help: 'Records meant for an endpoint and dropped: queue_full (the queue held hwm records or hwm_bytes), memory_limit (all queues together held ZEEK_ZMQ_MEMORY_LIMIT_BYTES) or shutdown (still queued when linger ran out); with a spool, the first two only when the spool could not take the record either, shutdown never (what is left goes to the spool), and spool_full (deleted with the oldest spool segment to make room under spool_max, or larger than the whole spool) and spool_error (the spool could not write it, disk full or an I/O error, or lost it to damage found while reading it back).',
} as const satisfies MetricSpec

export const ENDPOINT_QUEUE_RECORDS = {
  name: 'zeek_zmq_endpoint_queue_records',
  type: 'gauge',
  labels: ['endpoint'],
  help: 'Records waiting in the endpoint queue, including the one being sent.',
} as const satisfies MetricSpec

export const ENDPOINT_QUEUE_CAPACITY = {
  name: 'zeek_zmq_endpoint_queue_capacity_records',
  type: 'gauge',
  labels: ['endpoint'],
  help: "Capacity of the endpoint queue in records (the endpoint's hwm).",
} as const satisfies MetricSpec

export const ENDPOINT_QUEUE_BYTES = {
  name: 'zeek_zmq_endpoint_queue_bytes',
  type: 'gauge',
  labels: ['endpoint'],
  help: 'Bytes of the records waiting in the endpoint queue (path and record frames).',
} as const satisfies MetricSpec

export const ENDPOINT_QUEUE_CAPACITY_BYTES = {
  name: 'zeek_zmq_endpoint_queue_capacity_bytes',
  type: 'gauge',
  labels: ['endpoint'],
  help: "Capacity of the endpoint queue in bytes (the endpoint's hwm_bytes).",
} as const satisfies MetricSpec

export const ENDPOINT_SPOOL_RECORDS = {
  name: 'zeek_zmq_endpoint_spool_records',
  type: 'gauge',
  labels: ['endpoint'],
  help: "Records waiting in the endpoint's disk spool, including one being sent from it. After a restart it carries what the spool held, while the counters start from 0.",
} as const satisfies MetricSpec

export const ENDPOINT_SPOOL_BYTES = {
  name: 'zeek_zmq_endpoint_spool_bytes',
  type: 'gauge',
  labels: ['endpoint'],
  help: "Bytes of the endpoint's spool segment files on disk (acknowledged records count until their segment is deleted).",
} as const satisfies MetricSpec

export const ENDPOINT_SPOOL_CAPACITY_BYTES = {
  name: 'zeek_zmq_endpoint_spool_capacity_bytes',
  type: 'gauge',
  labels: ['endpoint'],
  help: "Capacity of the endpoint's spool in bytes (its spool_max).",
} as const satisfies MetricSpec

export const ENDPOINT_SPOOL_RECOVERED_RECORDS = {
  name: 'zeek_zmq_endpoint_spool_recovered_records',
  type: 'gauge',
  labels: ['endpoint'],
  help: "Records the endpoint's spool held when it was opened (at start, or when a reload opened the endpoint): what an earlier run left to send. Per endpoint, input + recovered = sent + filtered + dropped + queued + spooled.",
} as const satisfies MetricSpec

export const ENDPOINT_SPOOL_TRUNCATED_RECORDS = {
  name: 'zeek_zmq_endpoint_spool_truncated_records_total',
  type: 'counter',
  labels: ['endpoint'],
  help: "Records lost from the endpoint's spool to torn or damaged bytes (a write cut short by a crash or power loss, bytes changed on disk), found when the spool is reopened or read: exact where a later segment tells how many, else at least 1 per damaged place.",
} as const satisfies MetricSpec

export const ENDPOINT_PEERS = {
  name: 'zeek_zmq_endpoint_peers',
  type: 'gauge',
  labels: ['endpoint'],
  help: 'Peers connected to the endpoint: on an open endpoint, connections (subscribers, and peers still in their handshake); on a CURVE or allow-listed endpoint, only peers that passed its checks. At least 1 while it holds a subscription.',
} as const satisfies MetricSpec

export const ENDPOINT_SUBSCRIPTIONS_REJECTED = {
  name: 'zeek_zmq_endpoint_subscriptions_rejected_total',
  type: 'counter',
  labels: ['endpoint', 'reason'],
  help: "Subscriptions an endpoint refused: topic_too_large (longer than ZEEK_ZMQ_MAX_TOPIC_BYTES), too_many_subscriptions (past ZEEK_ZMQ_MAX_SUBSCRIPTIONS), or subscription_flood (more messages that change no subscription, such as repeats, within a minute than 16 times ZEEK_ZMQ_MAX_SUBSCRIPTIONS plus that limit per connected peer); for the last two the endpoint drops all its connections.",
} as const satisfies MetricSpec

export const AUTH_REJECTED = {
  name: 'zeek_zmq_auth_rejected_total',
  type: 'counter',
  labels: ['socket', 'reason'],
  help: 'Peers refused by a protected endpoint or input (socket: the endpoint name or input): address (outside allow), unknown_key (a CURVE key not among its clients), mechanism (no CURVE at a CURVE socket, or a connection closed before its handshake), handshake (a failed CURVE handshake, such as a client that encrypted to another server key).',
} as const satisfies MetricSpec

export const INTERNAL_ERRORS = {
  name: 'zeek_zmq_internal_errors_total',
  type: 'counter',
  labels: [],
  help: 'Errors caught inside the data path (a bug: each is logged with its stack). The shipper carried on; any above zero deserves a bug report.',
} as const satisfies MetricSpec

export const CONFIG_RELOADS = {
  name: 'zeek_zmq_config_reload_total',
  type: 'counter',
  labels: ['result'],
  help: 'Reloads of the configuration (SIGHUP, or a change of the ZEEK_ZMQ_CONFIG file): success, or failure (refused as invalid, the running configuration kept; or an endpoint that could not open).',
} as const satisfies MetricSpec

export const SHIPPER_METRICS: readonly MetricSpec[] = [
  INPUT_RECORDS,
  INPUT_BYTES,
  INPUT_REJECTED,
  INPUT_DISCONNECTS,
  ENDPOINT_SENT_RECORDS,
  ENDPOINT_SENT_BYTES,
  ENDPOINT_FILTERED_RECORDS,
  ENDPOINT_DROPPED_RECORDS,
  ENDPOINT_QUEUE_RECORDS,
  ENDPOINT_QUEUE_CAPACITY,
  ENDPOINT_QUEUE_BYTES,
  ENDPOINT_QUEUE_CAPACITY_BYTES,
  ENDPOINT_SPOOL_RECORDS,
  ENDPOINT_SPOOL_BYTES,
  ENDPOINT_SPOOL_CAPACITY_BYTES,
  ENDPOINT_SPOOL_RECOVERED_RECORDS,
  ENDPOINT_SPOOL_TRUNCATED_RECORDS,
  ENDPOINT_PEERS,
  ENDPOINT_SUBSCRIPTIONS_REJECTED,
  AUTH_REJECTED,
  INTERNAL_ERRORS,
  CONFIG_RELOADS,
]
