// Every reason the data path gives for a message it did not take, a record it did not
// send or a subscription it refused. Both data planes count under exactly these names, and
// the metrics export every one of them, at zero too.

export const REJECT_REASONS = [
  'frame_count', // not exactly two frames [path, record]
  'empty_path',
  'path_too_long', // more than MAX_PATH_BYTES
  'path_invalid', // a byte outside [A-Za-z0-9_.-]
  'too_many_paths', // more distinct paths than the path table keeps
  'empty_record',
  'record_too_large', // more than ZEEK_ZMQ_MAX_RECORD_BYTES
] as const
export type RejectReason = (typeof REJECT_REASONS)[number]

export const DISCONNECT_REASONS = [
  'handshake_failed', // never a ZeroMQ publisher: ZeroMQ's handshake failed
  'closed', // after the handshake: the publisher left, or ZeroMQ cut it off for breaking the protocol (a frame over the limit)
] as const
export type DisconnectReason = (typeof DISCONNECT_REASONS)[number]

export const DROP_REASONS = [
  'queue_full', // past the endpoint's hwm or hwm_bytes (with a spool, only when the spool could not take it either)
  'memory_limit', // past ZEEK_ZMQ_MEMORY_LIMIT_BYTES over all queues (likewise)
  'shutdown', // still queued when the endpoint's linger ran out (with a spool: kept on disk instead)
  'spool_full', // deleted with the oldest spool segment to make room under spool_max, or larger than the whole spool
  'spool_error', // the spool could not write it (disk full, I/O error), or lost it to damage found while reading it back
] as const
export type DropReason = (typeof DROP_REASONS)[number]

export const SUBSCRIPTION_REJECT_REASONS = ['topic_too_large', 'too_many_subscriptions', 'subscription_flood'] as const
export type SubscriptionRejectReason = (typeof SUBSCRIPTION_REJECT_REASONS)[number]

/** A count per reason, every reason present. */
export type Counts<Reason extends string> = Record<Reason, number>

export function zeroCounts<Reason extends string>(reasons: readonly Reason[]): Counts<Reason> {
  return Object.fromEntries(reasons.map((reason) => [reason, 0])) as Counts<Reason>
}
