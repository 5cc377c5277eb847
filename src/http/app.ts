// The HTTP side: health for orchestrators, metrics for Prometheus. Built as a function of
// its dependencies so tests can inject() requests without listening; see cli/run.ts.

import Fastify, { LogController } from 'fastify'
import type { Registry } from 'prom-client'
import type { Logger } from '../logger.ts'
import type { Readiness } from '../plane/data-plane.ts'

export interface AppDeps {
  readonly logger: Logger
  readonly registry: Registry
  readonly readiness: () => Readiness
}

export type ShipperApp = ReturnType<typeof buildApp>

export function buildApp(deps: AppDeps) {
  // Probes and scrapes arrive every few seconds: log errors, not every request.
  const app = Fastify({
    loggerInstance: deps.logger,
    logController: new LogController({ disableRequestLogging: true }),
  })

  app.get('/livez', async () => ({ status: 'ok' }))

  app.get('/readyz', async (_request, reply) => {
    const { ready, waitingFor, spooled = {} } = deps.readiness()
    const replay = Object.keys(spooled).length === 0 ? {} : { spooled }
    if (ready) return { status: 'ready', ...replay }
    return reply.code(503).send({ status: 'not ready', waitingFor, ...replay })
  })

  app.get('/metrics', async (_request, reply) => {
    const body = await deps.registry.metrics()
    return reply.type(deps.registry.contentType).send(body)
  })

  return app
}
