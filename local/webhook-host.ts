import { createWebhookHandler, MAX_WEBHOOK_BODY_BYTES, type WebhookDependencies } from '../core/webhook/handle-webhook';
import { startHttpHost } from './http-host';

export interface WebhookHost {
  url: string;
  webhookUrl: string;
  port: number;
  close(): Promise<void>;
}

/** The local HTTP host of the webhook path: `POST /webhook` (the Lambda's handler) and `GET /healthz`. */
export async function startWebhookHost(deps: WebhookDependencies, port = 0): Promise<WebhookHost> {
  const handleWebhook = createWebhookHandler(deps);
  const http = await startHttpHost(
    {
      'POST /webhook': async (req, body) => handleWebhook({ body, headers: req.headers as Record<string, string | undefined> }),
      'GET /healthz': async () => ({ status: 200, body: JSON.stringify({ ok: true }) }),
    },
    { port, maxBodyBytes: MAX_WEBHOOK_BODY_BYTES },
  );
  return { url: http.url, webhookUrl: `${http.url}/webhook`, port: http.port, close: http.close };
}
