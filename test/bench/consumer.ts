// Subscribes to each given address and counts what arrives; prints the counts (one per
// address) on SIGTERM. Reads continuously, as a real subscriber does.
//
//   node test/bench/consumer.ts ADDRESS...

import { Subscriber } from 'zeromq'

const addresses = process.argv.slice(2)
const counts = addresses.map(() => 0)
const sockets = addresses.map((address, i) => {
  const sub = new Subscriber({ receiveHighWaterMark: 100_000 })
  sub.subscribe()
  sub.connect(address)
  void (async () => {
    try {
      for await (const _ of sub) counts[i]!++
    } catch {
      // closed on exit
    }
  })()
  return sub
})
process.stdout.write('ready\n')
setInterval(() => process.stdout.write(`${JSON.stringify({ counts })}\n`), 200)
process.on('SIGTERM', () => {
  for (const sub of sockets) sub.close()
  process.stdout.write(`${JSON.stringify({ counts, final: true })}\n`)
  process.exit(0)
})
