import { GetSecretValueCommand, ResourceNotFoundException, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * A secret read once and cached; `refresh()` re-reads it (used once after a signature fails, so a
 * rotated secret works without a restart). Concurrent callers share one in-flight load. A failed
 * load is not cached.
 */
export interface SecretProvider {
  get(): Promise<string>;
  refresh(): Promise<string>;
}

/** The secret exists in name only: the deploy creates it, the operator stores its value. */
export class SecretNotSetError extends Error {
  constructor(
    readonly secretId: string,
    options?: { cause?: unknown },
  ) {
    super(
      `secret "${secretId}" has no value yet: store it with \`switchboard secrets set\`, or ` +
        `\`aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string '...'\`` +
        (options?.cause instanceof Error ? ` (Secrets Manager said: ${options.cause.message})` : ''),
      options,
    );
    this.name = 'SecretNotSetError';
  }
}

export interface CacheOptions {
  /**
   * After this long, `get()` still answers at once with the cached value but re-reads it in the
   * background, so a secret changed in place (the API key) reaches running hosts without a restart.
   */
  maxAgeMs?: number;
  now?: () => number;
}

export function cachedSecret(load: () => Promise<string>, opts: CacheOptions = {}): SecretProvider {
  const now = opts.now ?? Date.now;
  let value: string | undefined;
  let loadedAt = 0;
  let loading: Promise<string> | undefined;

  const loadAndKeep = async (): Promise<string> => {
    value = await load();
    loadedAt = now();
    return value;
  };
  const reload = (): Promise<string> => {
    // `.finally` runs after this assignment even when `load` throws at once, so no failure is kept.
    loading ??= loadAndKeep().finally(() => {
      loading = undefined;
    });
    return loading;
  };

  return {
    // A failed refresh keeps the last good value: a Secrets Manager outage then costs nothing
    // to requests the cached secret still verifies.
    get: () => {
      if (value === undefined) return reload();
      if (opts.maxAgeMs !== undefined && now() - loadedAt > opts.maxAgeMs) reload().catch(() => undefined);
      return Promise.resolve(value);
    },
    refresh: reload,
  };
}

export function staticSecret(value: string): SecretProvider {
  const secret = Promise.resolve(value);
  return { get: () => secret, refresh: () => secret };
}

/** Reads a Secrets Manager secret's SecretString (its AWSCURRENT version). */
export function secretsManagerSecret(client: SecretsManagerClient, secretId: string, opts: CacheOptions = {}): SecretProvider {
  return cachedSecret(async () => {
    let secretString: string | undefined;
    try {
      ({ SecretString: secretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId })));
    } catch (error) {
      // Also what Secrets Manager answers for a secret created without a value (no AWSCURRENT version).
      if (error instanceof ResourceNotFoundException) throw new SecretNotSetError(secretId, { cause: error });
      throw error;
    }
    if (!secretString) throw new SecretNotSetError(secretId);
    return secretString;
  }, opts);
}

/** How stale a cached OpenAI API key may get before hosts re-read it. */
export const API_KEY_MAX_AGE_MS = 5 * 60_000;

/** How stale the call worker's cached tool signing secret and tool secrets may get before it re-reads them. */
export const TOOL_SECRET_MAX_AGE_MS = 5 * 60_000;

/**
 * The tool signing secret as Standard Webhooks libraries take it, `whsec_<base64>`, from what its
 * Secrets Manager secret holds: CloudFormation generates the base64 key alone (a generated string
 * cannot carry a prefix), while a value stored by hand (a rotation) may already start with `whsec_`.
 */
export function standardWebhooksSecret(stored: string): string {
  const value = stored.trim();
  return value.startsWith('whsec_') ? value : `whsec_${value}`;
}
