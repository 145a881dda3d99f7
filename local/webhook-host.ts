import type { IncomingMessage } from 'node:http';
import { createWebhookHandler, MAX_WEBHOOK_BODY_BYTES, type WebhookDependencies } from '../core/webhook/handle-webhook';
import { startHttpHost } from './http-host';

export interface WebhookHost {
  url: string;
  webhookUrl: string;
  port: number;
  close(): Promise<void>;
}

/** What `POST /emulator/calls` does (`switchboard dev --emulator`): the request's JSON in, the answer out. */
export type PlaceEmulatorCall = (request: unknown) => Promise<{ status: number; body: unknown }>;

/**
 * The local HTTP host of the webhook path: `POST /webhook` (the Lambda's handler) and `GET /healthz`;
 * with `placeEmulatorCall`, `POST /emulator/calls` places a call into the emulator (`switchboard call`).
 */
export async function startWebhookHost(deps: WebhookDependencies, port = 0, placeEmulatorCall?: PlaceEmulatorCall): Promise<WebhookHost> {
  const handleWebhook = createWebhookHandler(deps);
  let actualPort = port;
  const http = await startHttpHost(
    {
      'POST /webhook': async (req, body) => handleWebhook({ body, headers: req.headers as Record<string, string | undefined> }),
      'GET /healthz': async () => ({ status: 200, body: JSON.stringify({ ok: true }) }),
      'POST /emulator/calls': async (req, body) => {
        const refused = refusedControlRequest(req, actualPort);
        if (refused) return answer(refused.status, { error: refused.error });
        if (!placeEmulatorCall) {
          return answer(409, { error: 'this switchboard dev talks to OpenAI, not the built-in emulator: start it with `npx switchboard dev --emulator` to place calls with `switchboard call`' });
        }
        let request: unknown;
        try {
          request = JSON.parse(body);
        } catch {
          return answer(400, { error: 'the body must be JSON: {"number": "+17134810111", "caller": "+14067704205", "scenario": "question"}' });
        }
        const placed = await placeEmulatorCall(request);
        return answer(placed.status, placed.body);
      },
    },
    { port, maxBodyBytes: MAX_WEBHOOK_BODY_BYTES },
  );
  actualPort = http.port;
  return { url: http.url, webhookUrl: `${http.url}/webhook`, port: http.port, close: http.close };
}

const answer = (status: number, body: unknown) => ({ status, body: JSON.stringify(body) });

/**
 * The control route is for `switchboard call` on this machine. The host listens on 127.0.0.1
 * only, so what else could reach it is a web page in the user's browser: a page's request
 * carries an Origin (refused), cannot send JSON without a preflight nobody answers (so the
 * content type is required), and a page on a DNS name rebound to 127.0.0.1 carries its own Host.
 */
export function refusedControlRequest(req: Pick<IncomingMessage, 'headers'>, port: number): { status: 403 | 415; error: string } | undefined {
  const { origin, host, 'content-type': type } = req.headers;
  if (origin !== undefined || req.headers['sec-fetch-site'] !== undefined) return { status: 403, error: 'refused: the emulator control route takes requests from `switchboard call`, not from a web page' };
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return { status: 403, error: `refused: the emulator control route answers requests to 127.0.0.1:${port} only, not to "${host ?? ''}"` };
  if (!type?.toLowerCase().startsWith('application/json')) return { status: 415, error: 'the body must be JSON (content-type: application/json)' };
  return undefined;
}
