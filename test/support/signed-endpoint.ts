import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request Switchboard made, as the user's endpoint got it, and what the Standard Webhooks library made of its signature. */
export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  /** The verified payload, or `{ error }` with why the library refused it. */
  verified: unknown;
  at: number;
}

export type Respond = (res: ServerResponse) => void;

export interface SignedEndpoint {
  url: string;
  received: Received[];
  /** Answers every request from now on so. */
  answer(respond: Respond): void;
  /** Answers the next requests so, in order; then as `answer` says. */
  answerNext(...respond: Respond[]): void;
  close(): Promise<void>;
}

/**
 * The user's system on loopback (a CRM, an order system): verifies every request Switchboard
 * signs with the Standard Webhooks library and `secret`, keeps it, and answers as told.
 */
export async function startSignedEndpoint(secret: string, path: string, respond: Respond): Promise<SignedEndpoint> {
  const received: Received[] = [];
  const next: Respond[] = [];
  const verifier = new Webhook(secret);
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      let verified: unknown;
      try {
        verified = verifier.verify(body, req.headers as Record<string, string>);
      } catch (err) {
        verified = { error: (err as Error).message };
      }
      received.push({ headers: req.headers, body, verified, at: Date.now() });
      (next.shift() ?? respond)(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    received,
    answer: (always) => (respond = always),
    answerNext: (...answers) => next.push(...answers),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
