// The one thing the control plane (configuration, HTTP, metrics, CLI, lifecycle) sees of
// the data path. Two planes implement it: the JavaScript plane (js-plane.ts), the
// reference, and the native plane, which runs the same hot path in a thread of its own.
// Both are held to the same contract by the same tests: the wire, the metrics, and what
// snapshot() returns.

import type { EndpointConfig } from '../config/endpoint-spec.ts'
import type { EndpointSummary } from '../record/endpoint-summary.ts'
import type { Counts, DisconnectReason, DropReason, RejectReason, SubscriptionRejectReason } from '../record/reasons.ts'
import type { AuthRejectReason } from '../security/auth-stats.ts'

export type { EndpointSummary }

export interface Readiness {
  readonly ready: boolean
  /** What is not ready yet, for the /readyz body. */
  readonly waitingFor: string[]
  /**
   * Records waiting in endpoints' disk spools, by endpoint (those with any): being
   * replayed, or held for a subscriber that is away. Ready all the same: the input is read.
   */
  readonly spooled?: Readonly<Record<string, number>>
}

export interface InputSnapshot {
  /** The addresses bound, for tcp://host:* with the port the OS picked; empty until bound. */
  readonly addresses: readonly string[]
  /** Bytes of accepted messages, both frames. */
  readonly bytes: number
  readonly rejected: Readonly<Counts<RejectReason>>
  readonly disconnects: Readonly<Counts<DisconnectReason>>
}

/** A path the input has seen lately (the path table's live set). */
export interface PathSnapshot {
  readonly name: string
  /** Records of this path accepted from the input. */
  readonly records: number
  /** admitted[i]: endpoint i's include/exclude filters let this path through. */
  readonly admitted: readonly boolean[]
}

export interface EndpointSnapshot {
  readonly name: string
  /** The address subscribers use: for tcp://host:* binds, the port the OS picked. */
  readonly address: string
  readonly open: boolean
  /** Records sent in all: sum of sentByPath plus those of paths since forgotten. */
  readonly sent: number
  /** Records sent, by path: sentByPath[i] belongs to snapshot.paths[i]. */
  readonly sentByPath: readonly number[]
  readonly sentBytes: number
  readonly filtered: number
  readonly dropped: Readonly<Counts<DropReason>>
  readonly queueRecords: number
  readonly queueCapacity: number
  readonly queueBytes: number
  readonly queueCapacityBytes: number
  /** Connected peers (subscribers, and connections still in their handshake). */
  readonly peers: number
  /** Distinct topics the endpoint's subscribers hold. */
  readonly topics: number
  /** Topics compared with paths so far: grows with subscription changes and paths, never with records. */
  readonly topicComparisons: number
  readonly subscriptionsRejected: Readonly<Counts<SubscriptionRejectReason>>
  /** Times the endpoint dropped all its connections to be rid of a peer over the subscription limit. */
  readonly resets: number
  /** Times a send waited for a full subscriber: grows with how long one stays full, never per record. */
  readonly fullPauses: number
  /** The endpoint's disk spool, all zero without one. */
  readonly spool: {
    readonly records: number
    readonly bytes: number
    readonly capacityBytes: number
    /** Records it held when it was opened (left by an earlier run). */
    readonly recovered: number
    /** Records lost to torn or damaged bytes, at opening and since. */
    readonly truncated: number
  }
}

export interface DataPlaneSnapshot {
  readonly input: InputSnapshot
  readonly paths: readonly PathSnapshot[]
  /** In the configured order of the endpoints. */
  readonly endpoints: readonly EndpointSnapshot[]
  /** Refused ZAP requests per protected socket ("input" or an endpoint's name). */
  readonly auth: ReadonlyArray<readonly [socket: string, counts: Readonly<Counts<AuthRejectReason>>]>
  /** Errors caught inside the data path (a bug, logged): the process carried on. */
  readonly internalErrors: number
}

/** What a change of the endpoints did, by endpoint name. */
export interface ReconfigureReport {
  readonly added: readonly string[]
  readonly removed: readonly string[]
  /** Replaced, after the old one drained for its linger. */
  readonly changed: readonly string[]
  readonly unchanged: readonly string[]
  /** The summaries of the endpoints closed: the removed ones, and the old ones of those changed. */
  readonly summaries: readonly EndpointSummary[]
  /** Endpoints that could not be opened, with why: /readyz names them until a later reload fixes them. */
  readonly failed: ReadonlyArray<{ readonly endpoint: string; readonly error: string }>
}

export interface DataPlane {
  /** Which implementation this is, for the start-up log line. */
  readonly kind: 'js' | 'native'
  /** Opens the endpoints, then binds the input: the first record has somewhere to go. */
  start(): Promise<void>
  /**
   * Stops reading input, gives each endpoint up to its linger to send what it holds,
   * then closes the outputs. One summary per endpoint, in the configured order.
   */
  stop(): Promise<EndpointSummary[]>
  /**
   * Replaces the endpoints with `endpoints` (a valid configuration's), while records flow:
   * endpoints whose settings are unchanged keep their queues and connections, added ones
   * open, removed ones drain for their linger and close, changed ones are replaced once the
   * old one has drained. Records routed meanwhile go to the new set.
   */
  reconfigure(endpoints: readonly EndpointConfig[]): Promise<ReconfigureReport>
  /** Closes every socket at once, holding nothing back: for a start that failed. */
  abort(): Promise<void>
  readiness(): Readiness
  /** Every counter and gauge the metrics need, as plain numbers, read at scrape time. */
  snapshot(): DataPlaneSnapshot
}
