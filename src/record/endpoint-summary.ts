/** What an endpoint reports when it is closed: the shutdown summary line, the same from either data plane. */
export interface EndpointSummary {
  readonly endpoint: string
  readonly sent: number
  readonly dropped: number
  /** Records still queued when linger ran out (also among the dropped, reason shutdown). */
  readonly left: number
  readonly filtered: number
  /** With a spool: records it keeps for the next start (never dropped as shutdown). */
  readonly spooled?: number
}
