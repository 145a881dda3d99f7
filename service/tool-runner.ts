import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Log } from '../core/runtime/log';
import { runHttpTool, type HttpToolCall, type HttpToolResult } from '../core/tools/http-tool';
import type { ReadSecret } from '../core/tools/secret-headers';
import { SecretNotSetError, secretsManagerSecret, standardWebhooksSecret, TOOL_SECRET_MAX_AGE_MS, type SecretProvider } from '../core/webhook/secret-provider';

export interface DeployedToolsOptions {
  client: SecretsManagerClient;
  /** The stack's tool signing secret (its base64 key, or a whole `whsec_...` stored by hand). */
  signingSecretArn: string;
  /** `{{secret:NAME}}` is the secret named `<prefix>NAME` (lib/settings.ts toolSecretsPrefix). */
  secretsPrefix: string;
  log: Log;
  /** Re-read a cached secret in the background after this long. @default TOOL_SECRET_MAX_AGE_MS */
  maxAgeMs?: number;
  /** The tool secrets' reader, when the worker shares it (MCP headers): one cache for both. */
  secret?: ReadSecret;
}

/**
 * HTTP tools as the deployed call worker runs them: signed with the stack's tool signing secret,
 * `{{secret:NAME}}` filled from the Secrets Manager secret `<prefix>NAME`. Every secret is read
 * once and cached; after `maxAgeMs` it is still answered at once and re-read in the background, so
 * a rotated signing secret or a changed tool secret reaches running workers without a restart. No
 * loopback: in AWS a tool reaches this host or its network only with `allowPrivateNetwork`.
 */
export function deployedToolRunner(opts: DeployedToolsOptions): (call: HttpToolCall) => Promise<HttpToolResult> {
  const maxAgeMs = opts.maxAgeMs ?? TOOL_SECRET_MAX_AGE_MS;
  const signing = secretsManagerSecret(opts.client, opts.signingSecretArn, { maxAgeMs });
  const signingSecret = async () => standardWebhooksSecret(await signing.get());
  const secret = opts.secret ?? toolSecrets(opts.client, opts.secretsPrefix, maxAgeMs);
  return (call) => runHttpTool(call, { signingSecret, secret, allowLoopback: false, log: opts.log });
}

/**
 * Reads tool secrets by name, each cached on its own. A secret that does not exist (or has no
 * value) is undefined, so the tool answers that a secret it needs is missing; it is not cached,
 * so one stored with `switchboard secrets set tool:NAME` is used by the next call. Any other
 * failure (access denied, throttling) throws, and the runner reports it without the value.
 */
export function toolSecrets(client: SecretsManagerClient, prefix: string, maxAgeMs = TOOL_SECRET_MAX_AGE_MS): ReadSecret {
  const cached = new Map<string, SecretProvider>();
  return async (name) => {
    let provider = cached.get(name);
    if (!provider) {
      provider = secretsManagerSecret(client, `${prefix}${name}`, { maxAgeMs });
      cached.set(name, provider);
    }
    try {
      return await provider.get();
    } catch (error) {
      if (error instanceof SecretNotSetError) return undefined;
      throw error;
    }
  };
}
