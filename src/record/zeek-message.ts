// A Zeek log record as it travels the data path: the writer plugin's two frames, exactly
// as the input socket handed them over, never parsed, copied or re-encoded.

/** [path frame, record frame]: the path (conn, dns, ...) and one JSON record. */
export type ZeekMessage = Buffer[]

/** Longest path frame accepted; Zeek's paths are short words such as conn or dns-2. */
export const MAX_PATH_BYTES = 128

/** The bytes a record occupies in a queue: its frames. */
export function messageBytes(message: ZeekMessage): number {
  return message[0]!.length + message[1]!.length
}
