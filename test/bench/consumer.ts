// Subscribes to each given address and counts what arrives; prints the counts (one per
// address) on SIGTERM. Reads continuously, as a real subscriber does. For a record the
// producer stamped (see producer.ts) it notes the latency; SIGUSR1 prints the p50 and p99
// of those noted since the last SIGUSR1 and starts afresh.
//
//   node test/bench/consumer.ts ADDRESS...
//
// With BENCH_CURVE_SERVER_KEY (the endpoint's public certificate) and BENCH_CURVE_CERT (a
// secret certificate the endpoint admits) it connects as a CURVE client.

import { Subscriber } from 'zeromq'
import { readPublicCertificate, readSecretCertificate } from '../../src/security/certificate.ts'

const serverKey = process.env.BENCH_CURVE_SERVER_KEY
const cert = process.env.BENCH_CURVE_CERT
const curve =
  serverKey === undefined || cert === undefined
    ? {}
    : (() => {
        const own = readSecretCertificate(cert)
        return { curveServerKey: readPublicCertificate(serverKey), curvePublicKey: own.publicKey, curveSecretKey: own.secretKey() }
      })()

const addresses = process.argv.slice(2)
const counts = addresses.map(() => 0)
let latencies: number[] = []
const sockets = addresses.map((address, i) => {
  const sub = new Subscriber({ receiveHighWaterMark: 100_000, ...curve })
  sub.subscribe()
  sub.connect(address)
  void (async () => {
    try {
      for await (const [, record] of sub) {
        counts[i]!++
        if (record !== undefined && record[0] === 0xfe && record.length >= 9) {
          if (latencies.length < 1_000_000) latencies.push(Number(process.hrtime.bigint() - record.readBigUInt64LE(1)) / 1000)
        }
      }
    } catch {
      // closed on exit
    }
  })()
  return sub
})
process.stdout.write('ready\n')
setInterval(() => process.stdout.write(`${JSON.stringify({ counts })}\n`), 200)
process.on('SIGUSR1', () => {
  const sorted = Float64Array.from(latencies).sort()
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  process.stdout.write(`${JSON.stringify({ latency: { p50: at(0.5), p99: at(0.99), samples: sorted.length } })}\n`)
  latencies = []
})
process.on('SIGTERM', () => {
  for (const sub of sockets) sub.close()
  process.stdout.write(`${JSON.stringify({ counts, final: true })}\n`)
  process.exit(0)
})
