// One error type for the shipper's own failures. `code` says what failed; the extra
// properties are enumerable so that a JSON log line of `{ err }` carries them.

export type ErrorCode =
  | 'ERR_CONFIG' // the settings are invalid; nothing was bound
  | 'ERR_BIND' // an input or endpoint socket could not bind or connect
  | 'ERR_USAGE' // the command line is wrong
  | 'ERR_KEYGEN' // keygen could not write a key pair (one is there already)
  | 'ERR_SPOOL' // a spool directory could not be opened: another process owns it, or the file system refused

export class ShipperError extends Error {
  readonly code: ErrorCode;
  [key: string]: unknown

  constructor(code: ErrorCode, message: string, props: Record<string, unknown> & { cause?: unknown } = {}) {
    const { cause, ...rest } = props
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'ShipperError'
    this.code = code
    Object.assign(this, rest)
  }
}

export function isShipperError(err: unknown, code?: ErrorCode): err is ShipperError {
  return err instanceof ShipperError && (code === undefined || err.code === code)
}
