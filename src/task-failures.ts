// The promises the data path starts and nobody awaits (send loops, subscription readers,
// receive loops), and the errors a record's routing might throw. Each failure is logged and
// counted, so that a bug shows on /metrics instead of as an unhandled rejection that kills
// the process and every queue with it.

import type { Logger } from './logger.ts'

export class TaskFailures {
  /** Failures so far: zeek_zmq_internal_errors_total. */
  count = 0
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger
  }

  /** Lets `promise` run on its own; if it ever rejects, the failure is logged and counted. */
  detach(task: string, promise: Promise<unknown>): void {
    promise.catch((err: unknown) => this.caught(task, err))
  }

  caught(task: string, err: unknown): void {
    this.count++
    this.#logger.error({ err, task }, 'internal error; carrying on')
  }
}
