// The two baselines the shipper is measured against, and its native data plane, each run
// as its own process:
//   proxy:  libzmq's own forwarder (zeromq.js Proxy: XSUB -> XPUB, all in libzmq's thread)
//   loop:   the simplest zeromq.js loop: receive, then send to each output; no queues, no accounting
//   native: the shipper's native data plane alone (src/plane/native-plane.ts), one bind-mode
//           endpoint per output, with the shipper's defaults
//
//   node test/bench/forwarder.ts proxy|loop|native INPUT OUTPUT...

import { pino } from 'pino'
import { Proxy, Publisher, Subscriber, XPublisher, XSubscriber } from 'zeromq'
import { loadConfig } from '../../src/config/load-config.ts'
import { loadNativePlane } from '../../src/plane/native-plane.ts'

const [kind, input, ...outputs] = process.argv.slice(2)

if (kind === 'proxy') {
  const proxy = new Proxy(new XSubscriber(), new XPublisher())
  await proxy.frontEnd.bind(input!)
  await proxy.backEnd.bind(outputs[0]!)
  process.stdout.write('ready\n')
  process.on('SIGTERM', () => proxy.terminate())
  await proxy.run()
} else if (kind === 'loop') {
  const sub = new Subscriber()
  sub.subscribe()
  await sub.bind(input!)
  const pubs = await Promise.all(
    outputs.map(async (address) => {
      const pub = new Publisher()
      await pub.bind(address)
      return pub
    }),
  )
  process.stdout.write('ready\n')
  process.on('SIGTERM', () => process.exit(0))
  for await (const message of sub) {
    for (const pub of pubs) await pub.send(message)
  }
} else if (kind === 'native') {
  const load = loadNativePlane()
  if ('unavailable' in load) throw new Error(load.unavailable)
  const config = loadConfig({ ZEEK_ZMQ_INPUTS: input, ZEEK_ZMQ_ENDPOINTS: outputs.map((address, i) => `${address}?mode=bind&name=e${i}`).join(' '), ZEEK_ZMQ_LINGER_MS: '0' })
  const plane = load.create(config, pino({ level: 'warn' }, pino.destination(2)))
  await plane.start()
  process.stdout.write('ready\n')
  process.on('SIGTERM', () => {
    // What the plane dropped, by endpoint and reason: where a lossy run lost its records.
    void plane.stop().then(() => {
      process.stderr.write(`native plane dropped: ${JSON.stringify(plane.snapshot().endpoints.map((e) => e.dropped))}\n`)
      process.exit(0)
    })
  })
} else {
  process.stderr.write('usage: forwarder.ts proxy|loop|native INPUT OUTPUT...\n')
  process.exit(64)
}
