import { randomBytes } from 'node:crypto';

/** An id shaped like OpenAI's: a prefix and hex, e.g. `rtc_5bfabb18c4574e30a75f4bfaad13f878`. */
export function newId(prefix: string, bytes = 16): string {
  return `${prefix}_${randomBytes(bytes).toString('hex')}`;
}
