// What an endpoint's outlet needs from whatever carries its records to subscribers. The
// outlet (queue, one send in flight, retry, drain, counters) knows nothing of sockets;
// the XPUB transport is the one kind today.

import type { LogPath } from '../record/log-path.ts'
import type { Counts, SubscriptionRejectReason } from '../record/reasons.ts'
import type { ZeekMessage } from '../record/zeek-message.ts'

export interface TransportState {
  /** Connected peers (subscribers, and connections still in their handshake). */
  readonly peers: number
  /** Distinct topics the subscribers hold. */
  readonly topics: number
  /** Topics compared with paths so far. */
  readonly topicComparisons: number
  readonly subscriptionsRejected: Readonly<Counts<SubscriptionRejectReason>>
  /** Times every connection was dropped to be rid of a peer over the subscription limit. */
  readonly resets: number
}

export interface Transport {
  /** The address subscribers use: for tcp://host:* binds, the port the OS picked. */
  readonly address: string
  readonly isOpen: boolean
  /** Whether a record sent now could reach anyone: while not, the outlet holds its records. */
  readonly accepting: boolean
  /** The most records the transport itself holds for a subscriber (its send high-water mark). */
  readonly bufferRecords: number
  /** Whether some subscriber wants records of this path; the outlet counts the others filtered. */
  wants(path: LogPath): boolean
  /**
   * Hands a record over. Resolves once taken; rejects with an error that isFull() accepts
   * when a subscriber's buffer is full (try again later). The very promise of the socket,
   * not one wrapped around it: the send loop runs at the input's pace only if it costs no
   * more promise turns per record than the input's receive loop.
   */
  send(message: ZeekMessage): Promise<void>
  /** The outlet tells the transport each record it took, once its send resolved. */
  sent(message: ZeekMessage): void
  isFull(err: unknown): boolean
  /**
   * Binds or connects. `onAccepting` is called whenever records may flow again (a
   * subscription came). `replacing`: the address was just given up by the socket this one
   * replaces, which the OS may not have released yet.
   */
  open(onAccepting: () => void, replacing?: boolean): Promise<void>
  /** Closes, giving what the transport already holds `lingerMs` to go out. */
  close(lingerMs: number): void
  state(): TransportState
}
