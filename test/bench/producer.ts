// Publishes real-shaped Zeek records at a steady rate, as Zeek's writer does: a PUB socket
// with libzmq's default high-water mark (1000), connected to the forwarder's input.
//
//   node test/bench/producer.ts ADDRESS RATE SECONDS
// Prints {"sent": N, "seconds": S} when done.
//
// Every STAMP_EVERY-th record carries its send time for the consumer's latency figures: its
// first byte is 0xfe (never the "{" of a JSON record) and the next 8 the monotonic clock in
// nanoseconds, which every process on the machine shares. Forwarders never read a record.

import { Publisher } from 'zeromq'
import { zeekMessage } from '../helpers/zeek-records.ts'

const [address, rateText, secondsText] = process.argv.slice(2)
const rate = Number(rateText)
const seconds = Number(secondsText)

// Pre-built messages: the producer's own cost should not limit the rate.
const pool = Array.from({ length: 1000 }, (_, i) => zeekMessage(i))
const STAMP_EVERY = 16
const stamped = pool.map(([path, record]) => [path, Buffer.from(record)] as const)
const pub = new Publisher()
pub.connect(address!)
await new Promise((resolve) => setTimeout(resolve, 500)) // the subscription follows the connection

const total = Math.round(rate * seconds)
const start = process.hrtime.bigint()
let sent = 0
while (sent < total) {
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9
  const due = Math.min(total, Math.floor(elapsed * rate))
  while (sent < due) {
    const i = sent++ % pool.length
    if (sent % STAMP_EVERY !== 0) {
      await pub.send(pool[i]!)
      continue
    }
    const [path, record] = stamped[i]!
    record[0] = 0xfe
    record.writeBigUInt64LE(process.hrtime.bigint(), 1)
    await pub.send([path, record])
  }
  if (sent < total) await new Promise((resolve) => setTimeout(resolve, 1))
}
const took = Number(process.hrtime.bigint() - start) / 1e9
pub.linger = 5000
pub.close()
process.stdout.write(`${JSON.stringify({ sent, seconds: took })}\n`)
