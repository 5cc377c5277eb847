// The XPUB socket of an endpoint, with every option it needs set in this one place.

import { XPublisher } from 'zeromq'
import type { EndpointConfig } from '../config/endpoint-spec.ts'

/**
 * ZeroMQ's own send buffer per subscriber. Records in it count as sent, and ZeroMQ loses
 * them if that subscriber disconnects, so it stays small: the endpoint queue does the
 * holding. Large enough that a subscriber keeping up never makes us wait on ZeroMQ.
 */
export const ZMQ_SEND_HWM = 1000

export function createEndpointSocket(config: EndpointConfig): XPublisher {
  const heartbeat = config.heartbeatMs
  return new XPublisher({
    // Refuse instead of silently dropping when a subscriber's buffer is full: the
    // endpoint queue then holds the record, and counts it if it has to drop it.
    noDrop: true,
    sendHighWaterMark: Math.min(config.hwm, ZMQ_SEND_HWM),
    // Sends never wait inside zeromq.js: on an XPUB it would only re-check a state that
    // is always "writable". A full subscriber shows as EAGAIN, and the endpoint retries.
    sendTimeout: 0,
    // Connect mode: make no ZeroMQ pipe until the subscriber is really there, so that
    // records are held in our queue, not in a pipe to nobody, and a subscriber that goes
    // away takes its subscriptions with it.
    immediate: config.mode === 'connect',
    linger: config.lingerMs,
    // A subscriber whose host or network vanished without closing its connection would
    // otherwise keep its subscription, and with noDrop block the endpoint, until the
    // kernel gives up on the connection many minutes later.
    ...(heartbeat > 0 ? { heartbeatInterval: heartbeat, heartbeatTimeout: 3 * heartbeat, heartbeatTimeToLive: 3 * heartbeat } : {}),
  })
}
