import { DEFAULT_CALL_RETENTION_DAYS, ENV } from './contract';

/** Reads a required environment variable, with an error that says which one is missing. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

export function positiveIntEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`environment variable ${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** Settings every deployed host shares, from the environment the CDK app sets. */
export function deployedSettings(env: NodeJS.ProcessEnv = process.env) {
  return {
    tables: { numbers: requireEnv(ENV.numbersTable, env), calls: requireEnv(ENV.callsTable, env), entries: requireEnv(ENV.callEntriesTable, env) },
    queueUrl: requireEnv(ENV.callQueueUrl, env),
    openAiApiKeySecretArn: requireEnv(ENV.openAiApiKeySecretArn, env),
    retentionDays: positiveIntEnv(ENV.callRetentionDays, DEFAULT_CALL_RETENTION_DAYS, env),
  };
}
