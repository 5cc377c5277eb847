// The two baselines the shipper is measured against, each run as its own process:
//   proxy: libzmq's own forwarder (zeromq.js Proxy: XSUB -> XPUB, all in libzmq's thread)
//   loop:  the simplest zeromq.js loop: receive, then send to each output; no queues, no accounting
//
//   node test/bench/forwarder.ts proxy|loop INPUT OUTPUT...

import { Proxy, Publisher, Subscriber, XPublisher, XSubscriber } from 'zeromq'

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
} else {
  process.stderr.write('usage: forwarder.ts proxy|loop INPUT OUTPUT...\n')
  process.exit(64)
}
