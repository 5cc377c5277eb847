// What the router sees of an endpoint: somewhere to offer a record. The router owns this
// interface; the outlet in src/output/ implements it, whatever carries its records on.

import type { LogPath } from './log-path.ts'
import type { ZeekMessage } from './zeek-message.ts'

export interface Outlet {
  /** A record this outlet's filters admit: queue it, or count it dropped. */
  offer(message: ZeekMessage, path: LogPath): void
  /** A record this outlet's filters refused: count it filtered. */
  refuse(): void
  /** The path table forgot `path`: its id will name another path from now on. */
  forget(path: LogPath): void
}
