// The XPUB socket of an endpoint, with every option it needs set in this one place.

import { XPublisher } from 'zeromq'
import type { EndpointConfig } from '../config/endpoint-spec.ts'

/**
 * ZeroMQ's own send buffer per subscriber. Records in it count as sent, and ZeroMQ loses
 * them if that subscriber disconnects, so it stays small: the endpoint queue does the
 * holding. Large enough that a subscriber keeping up never makes us wait on ZeroMQ.
 */
export const ZMQ_SEND_HWM = 1000

/**
 * The kernel's send buffer per connection (SO_SNDBUF; Linux reserves twice this). Records
 * in it count as sent too, so it is kept to what a fast link on a sensor's network needs
 * rather than left to the kernel's auto-tuning (several MiB).
 */
export const KERNEL_SEND_BUFFER_BYTES = 262144

/** ZMTP 3.1 sends a subscription as a SUBSCRIBE command: its frame is "\x09SUBSCRIBE" and the topic. */
export const SUBSCRIBE_COMMAND_BYTES = 10

/**
 * What CURVE adds to the largest message a peer sends: ZeroMQ's size limit applies to the
 * handshake's commands too, and a CURVE client's INITIATE (cookie, vouch and its metadata,
 * a routing id of up to 255 bytes among them) runs to several hundred bytes; afterwards
 * every subscription arrives boxed in a MESSAGE command (nonce and authenticator).
 */
export const CURVE_MESSAGE_ALLOWANCE = 1024

/** The largest message a peer of this endpoint may send: a subscription, or CURVE's handshake. */
export function maxPeerMessageBytes(config: EndpointConfig): number {
  return config.maxTopicBytes + SUBSCRIBE_COMMAND_BYTES + (config.access?.curve === undefined ? 0 : CURVE_MESSAGE_ALLOWANCE)
}

/**
 * Subscription messages queued per connection between ZeroMQ's I/O thread and the socket.
 * It does not bound how far ZeroMQ gets ahead of the endpoint's count: whenever the socket
 * is used, libzmq files the queued topics in its own tree (tens of bytes per topic byte) and
 * goes on for as long as its I/O thread keeps refilling the queue, so a peer sending topics
 * faster than libzmq files them gets its whole flood filed (README "Limits").
 */
export const SUBSCRIPTION_READ_AHEAD = 16

/** The most records ZeroMQ may hold for an endpoint; SendWindow lowers it for large records. */
export function zmqSendHighWaterMark(config: EndpointConfig): number {
  return Math.min(config.hwm, ZMQ_SEND_HWM)
}

/**
 * The bytes of records ZeroMQ may hold for an endpoint: a quarter of its hwm_bytes. Records
 * up to 16 KiB still get the full 1000 with the default 64 MiB; the queue does the holding.
 */
export function zmqSendBytes(config: EndpointConfig): number {
  return Math.max(1, Math.floor(config.hwmBytes / 4))
}

/**
 * Socket options that notice a subscriber's host vanishing (powered off, cut off by the
 * network) without its connection being closed. Off unless configured: the kernel cuts off
 * a subscriber that stopped reading just the same (a zero window past the user timeout),
 * and what ZeroMQ had handed to it is lost with the connection.
 */
function deadPeerOptions(config: EndpointConfig): Partial<XPublisher> {
  const timeoutMs = config.peerTimeoutMs
  if (config.transport !== 'tcp' || timeoutMs === 0) return {}
  const seconds = Math.max(1, Math.floor(timeoutMs / 3000))
  return {
    tcpMaxRetransmitTimeout: timeoutMs, // TCP_USER_TIMEOUT: data unacknowledged this long ends the connection
    tcpKeepalive: 1, // an idle connection is probed too: after a third of the timeout, three probes
    tcpKeepaliveIdle: seconds,
    tcpKeepaliveInterval: Math.max(1, Math.floor(seconds / 3)),
    tcpKeepaliveCount: 3,
  }
}

export function createEndpointSocket(config: EndpointConfig, sendHighWaterMark: number): XPublisher {
  return new XPublisher({
    // Refuse instead of silently dropping when a subscriber's buffer is full: the
    // endpoint queue then holds the record, and counts it if it has to drop it.
    noDrop: true,
    sendHighWaterMark,
    sendBufferSize: KERNEL_SEND_BUFFER_BYTES,
    // A peer can send only subscriptions: ZeroMQ cuts off one whose message is larger than
    // the largest topic allowed as it arrives, before it takes any memory.
    maxMessageSize: maxPeerMessageBytes(config),
    receiveHighWaterMark: SUBSCRIPTION_READ_AHEAD,
    // Every subscribe message reaches the endpoint, repeats included, so that a peer
    // repeating one is seen and counted (IdleMessageBudget). Unsubscriptions still come only
    // when a topic's last subscriber leaves it, so the endpoint's topic set stays the socket's own.
    verbosity: 'allSubs',
    // Sends never wait inside zeromq.js: on an XPUB it would only re-check a state that
    // is always "writable". A full subscriber shows as EAGAIN, and the endpoint retries.
    sendTimeout: 0,
    // Connect mode: make no ZeroMQ pipe until the subscriber is really there, so that
    // records are held in our queue, not in a pipe to nobody, and a subscriber that goes
    // away takes its subscriptions with it.
    immediate: config.mode === 'connect',
    // linger is not set here: Endpoint.close() gives ZeroMQ what is left of the endpoint's
    // linger once the queue has drained, so the two never add up to more than the setting.
    // A subscriber whose host vanished would otherwise keep its subscription, and with
    // noDrop hold up the endpoint, until the kernel gives up many minutes later.
    ...deadPeerOptions(config),
  })
}
