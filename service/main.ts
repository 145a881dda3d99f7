import { jsonLog, logLevelFrom } from '../core/runtime/log';
import { METRICS } from '../core/runtime/contract';
import { startWorkerService } from './worker-service';

// The container's entry point: start, and on SIGTERM (ECS stopping the task) drain, then exit 0.
const log = jsonLog(METRICS.workerService, { level: logLevelFrom(process.env.LOG_LEVEL) });

startWorkerService()
  .then((service) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      service.shutdown().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error('shutdown failed', { error: err });
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  })
  .catch((err: unknown) => {
    log.error('worker could not start', { error: err });
    process.exit(1);
  });
