// Subscribes to each given address and counts what arrives; prints the counts (one per
// address) on SIGTERM. Reads continuously, as a real subscriber does.
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
const sockets = addresses.map((address, i) => {
  const sub = new Subscriber({ receiveHighWaterMark: 100_000, ...curve })
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
