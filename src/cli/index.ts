#!/usr/bin/env node
// The command line: only dispatches to a subcommand. `run` (the default) runs the
// shipper; `tail` subscribes to an endpoint and prints its records.

import { ShipperError } from '../errors.ts'

interface Subcommand {
  readonly summary: string
  readonly main: (args: string[]) => Promise<number>
}

const SUBCOMMANDS: Record<string, Subcommand> = {
  run: {
    summary: 'run the shipper, configured by ZEEK_ZMQ_* environment variables (the default)',
    main: async (args) => (await import('./run.ts')).main(args),
  },
  tail: {
    summary: 'subscribe to an endpoint and print each record, one per line',
    main: async (args) => (await import('./tail.ts')).main(args),
  },
  keygen: {
    summary: 'write a CURVE key pair as ZeroMQ certificates NAME.key and NAME.key_secret',
    main: async (args) => (await import('./keygen.ts')).main(args),
  },
}

function usage(): string {
  const lines = Object.entries(SUBCOMMANDS).map(([name, command]) => `  ${name.padEnd(6)} ${command.summary}`)
  return ['usage: zeek-zmq-shipper [run | tail ADDRESS ... | keygen NAME [--dir DIR]] [--help]', '', 'subcommands:', ...lines].join('\n')
}

async function dispatch(argv: string[]): Promise<number> {
  const [first, ...rest] = argv
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(`${usage()}\n`)
    return 0
  }
  if (first === undefined || first.startsWith('-')) return SUBCOMMANDS.run!.main(argv)
  const command = SUBCOMMANDS[first]
  if (command === undefined) throw new ShipperError('ERR_USAGE', `unknown subcommand "${first}"\n${usage()}`)
  return command.main(rest)
}

dispatch(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`zeek-zmq-shipper: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exitCode = err instanceof ShipperError && err.code === 'ERR_USAGE' ? 64 : 1
  },
)
