// Which data plane runs: ZEEK_ZMQ_DATA_PLANE. auto takes the native plane where it is built
// and can serve the configuration, and says in one line why not where it cannot.

import type { ShipperConfig } from '../config/load-config.ts'
import { ShipperError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { DataPlane } from './data-plane.ts'
import { JsDataPlane } from './js-plane.ts'
import { loadNativePlane } from './native-plane.ts'

export function createDataPlane(config: ShipperConfig, logger: Logger): DataPlane {
  if (config.dataPlane !== 'js') {
    const native = loadNativePlane(config)
    if ('create' in native) {
      logger.info({ dataPlane: 'native', libzmq: native.libzmqVersion }, 'data plane')
      return native.create(config, logger)
    }
    if (config.dataPlane === 'native') throw new ShipperError('ERR_CONFIG', `invalid configuration:\n  ZEEK_ZMQ_DATA_PLANE: native, but ${native.unavailable}`, { problems: [`ZEEK_ZMQ_DATA_PLANE: native, but ${native.unavailable}`] })
    logger.warn({ dataPlane: 'js', reason: native.unavailable }, 'the native data plane cannot run here; the JavaScript plane runs instead')
  } else {
    logger.info({ dataPlane: 'js' }, 'data plane')
  }
  return new JsDataPlane(config, logger)
}
