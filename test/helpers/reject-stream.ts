// A stream of good records with malformed messages between them, for the tests of the
// input's rejects (both planes): nothing bad may leak, nothing good may be lost.

import { zeekMessage } from './zeek-records.ts'

/** Good, bad, good, bad...; then a path of exactly 128 bytes with a record of exactly `maxRecord`, accepted. */
export function rejectStream(bad: Record<string, Buffer[][]>, maxRecord: number): { good: Buffer[][]; stream: Buffer[][] } {
  const good: Buffer[][] = []
  const stream: Buffer[][] = []
  let i = 0
  for (const messages of Object.values(bad)) {
    for (const message of messages) {
      const ok = zeekMessage(i++)
      good.push(ok)
      stream.push(ok, message)
    }
  }
  const edge = [Buffer.from('p'.repeat(128)), Buffer.alloc(maxRecord, 0x20)]
  good.push(edge)
  stream.push(edge)
  return { good, stream }
}
