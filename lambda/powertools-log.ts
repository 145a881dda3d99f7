import type { Logger } from '@aws-lambda-powertools/logger';
import type { Log } from '../core/runtime/log';

/** The core's Log over Powertools' Logger, so the Lambdas' lines carry its request context. */
export function powertoolsLog(target: Logger): Log {
  return {
    info: (message, fields) => target.info(message, { ...fields }),
    warn: (message, fields) => target.warn(message, { ...fields }),
    error: (message, fields) => target.error(message, { ...fields }),
    child: (fields) => powertoolsLog(target.createChild({ persistentKeys: fields })),
  };
}
