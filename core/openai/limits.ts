/**
 * Limits OpenAI sets on a call, that several parts of Switchboard must agree on. No imports, so
 * any module (a number's schema, the webhook, the worker, the CLI) may read them.
 */

/**
 * OpenAI ends every Realtime session 60 minutes after it starts: no call lasts longer, so none
 * older can still be live, and a number's time limit cannot exceed it.
 */
export const SESSION_CAP_SECONDS = 60 * 60;
export const SESSION_CAP_MS = SESSION_CAP_SECONDS * 1000;
