import { CallsStore } from '../core/store/calls-store';
import { createDocumentClient } from '../core/store/dynamodb-client';
import { NumbersStore } from '../core/store/numbers-store';
import { LOCAL_TABLE_NAMES } from '../core/store/tables';
import { CliError, EXIT } from './errors';

export interface DataOptions {
  endpoint?: string;
}

export interface DataTarget {
  numbers: NumbersStore;
  calls: CallsStore;
  /** Where the data lives, for messages. */
  description: string;
}

/**
 * Where data commands read and write: a local DynamoDB (`--endpoint`, or the standard
 * `AWS_ENDPOINT_URL_DYNAMODB`) with the fixed local table names.
 */
export function resolveDataTarget(opts: DataOptions, env: NodeJS.ProcessEnv = process.env): DataTarget {
  const endpoint = opts.endpoint ?? env.AWS_ENDPOINT_URL_DYNAMODB;
  if (!endpoint) {
    throw new CliError(
      'no DynamoDB to use: pass --endpoint <url> (e.g. --endpoint http://127.0.0.1:8000 while `switchboard dev` runs) or set AWS_ENDPOINT_URL_DYNAMODB',
      EXIT.usage,
    );
  }
  const db = createDocumentClient({ endpoint });
  return {
    numbers: new NumbersStore(db, LOCAL_TABLE_NAMES.numbers),
    calls: new CallsStore(db, LOCAL_TABLE_NAMES.calls, 90),
    description: endpoint,
  };
}
