/**
 * `{{secret:NAME}}` in a tool's header values, e.g. `"Authorization": "Bearer {{secret:orders-api}}"`,
 * filled in at call time from the host's secrets (Secrets Manager in AWS, environment variables
 * in `switchboard dev`). The values are returned beside the headers so the runner can keep them
 * out of everything it returns and logs.
 */

const SECRET_REFERENCE = /\{\{\s*secret:([^{}\s]+)\s*\}\}/g;

/**
 * A tool secret's name as `switchboard secrets set tool:NAME` stores it: a Secrets Manager secret
 * name's characters, each of which `{{secret:NAME}}` reads back exactly. The runner reads more,
 * but a secret no one can store would be missing on every call.
 */
export function isStorableSecretName(name: string): boolean {
  return /^[A-Za-z0-9/_+=.@-]{1,256}$/.test(name);
}

/** Reads one secret by name; undefined (or empty) when it is not set. */
export type ReadSecret = (name: string) => Promise<string | undefined>;

export type FilledHeaders =
  | { ok: true; headers: Record<string, string>; secretValues: string[] }
  | { ok: false; secretName: string; detail: string };

/** The secret names a tool's headers refer to, in order of first use. */
export function secretNames(headers: Record<string, string>): string[] {
  const names = Object.values(headers).flatMap((value) => [...value.matchAll(SECRET_REFERENCE)].map((match) => match[1]));
  return [...new Set(names)];
}

/**
 * The headers with every `{{secret:NAME}}` replaced by its value, trimmed (a value stored with
 * `echo` ends in a newline, which no header may carry). A secret without a value, or one that
 * cannot be read, stops the call: no request goes out with a hole where the credential was.
 * The detail names the secret, never a value.
 */
export async function fillSecretHeaders(headers: Record<string, string>, readSecret: ReadSecret): Promise<FilledHeaders> {
  const values = new Map<string, string>();
  for (const name of secretNames(headers)) {
    let value: string | undefined;
    try {
      value = (await readSecret(name))?.trim();
    } catch (error) {
      return { ok: false, secretName: name, detail: `secret "${name}" could not be read: ${(error as Error).message}` };
    }
    if (!value) return { ok: false, secretName: name, detail: `secret "${name}" has no value` };
    values.set(name, value);
  }
  const filled = Object.fromEntries(
    Object.entries(headers).map(([header, value]) => [header, value.replace(SECRET_REFERENCE, (_, name: string) => values.get(name)!)]),
  );
  return { ok: true, headers: filled, secretValues: [...values.values()] };
}

/** `text` with every secret value in it replaced, for whatever is returned, logged or recorded. */
export function withoutSecrets(text: string, secretValues: readonly string[]): string {
  return secretValues.reduce((scrubbed, value) => scrubbed.split(value).join('[secret]'), text);
}
