import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { describeAwsError } from '../../cli/aws-errors';
import { ApiError, consoleApi, type ConsoleData } from './console-api';

/** Where `npm run build:console` (run by `npm ci`) writes the console's pages. */
export const CONSOLE_ASSETS_DIR = join(__dirname, '..', 'dist');

const MAX_BODY_BYTES = 256 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/**
 * Every answer's headers: the pages load only their own scripts and talk only to this server, and
 * no other site may frame them. The editor (CodeMirror) sets its styles from script, hence inline styles.
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export interface ConsoleServer {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** The address to open: the origin with the token in the fragment, which browsers never send to a server or a Referer. */
  url: string;
  /**
   * An address for a program's command line (a browser opener), which other users of the machine
   * can read: it holds a one-time code, which the page trades for the token once.
   */
  launchUrl(): string;
  close(): Promise<void>;
}

/**
 * The console on 127.0.0.1: the built pages, and the JSON API under `/api`.
 *
 * Who may use it: whoever holds the token, which is random per start and printed once. An API
 * request without it is refused (401), so another user of this machine, who can reach the port,
 * reads nothing. A web page the operator visits cannot either: it cannot send the token header
 * without a CORS preflight this server never allows, and a write must come from the console's own
 * origin (403 otherwise). The Host must be this server's, so a DNS name rebound to 127.0.0.1
 * reaches nothing.
 */
export async function startConsoleServer(opts: { data: ConsoleData; port: number; assetsDir?: string; now?: () => Date }): Promise<ConsoleServer> {
  const assetsDir = opts.assetsDir ?? CONSOLE_ASSETS_DIR;
  if (!existsSync(join(assetsDir, 'index.html'))) {
    throw new Error(`the console's pages are not built (no ${join(assetsDir, 'index.html')}): run \`npm run build:console\` (\`npm ci\` runs it)`);
  }
  const token = randomBytes(24).toString('base64url');
  const tokenDigest = digest(token);
  const api = consoleApi(opts.data, opts.now);
  const launchCodes = new Set<string>();

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: `the console failed: ${(err as Error).message}` });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host ?? '';
    const hosts = ownHosts(req.socket.localPort);
    if (!hosts.includes(host)) return sendJson(res, 403, { error: `the console answers only at ${hosts[0]}, not at "${host}"` });
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) return handleApi(req, res, url, host);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: `${req.method} is not allowed here` });
    return sendAsset(res, url.pathname, req.method === 'HEAD');
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, host: string): Promise<void> {
    const method = req.method ?? 'GET';
    const reads = method === 'GET' || method === 'HEAD';
    if (url.pathname === '/api/launch' && method === 'POST') return launch(req, res, host);
    const given = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!given || !timingSafeEqual(digest(given), tokenDigest)) {
      res.setHeader('www-authenticate', 'Bearer realm="switchboard console"');
      return sendJson(res, 401, { error: 'this console needs its key: open the address `switchboard console` printed (it ends in #token=...)' });
    }
    if (!reads) {
      // Origin is sent with every cross-origin request and every same-origin write; Sec-Fetch-Site where a browser sends no Origin.
      const origin = req.headers.origin;
      const sameOrigin = origin !== undefined ? origin === `http://${host}` : req.headers['sec-fetch-site'] === 'same-origin';
      if (!sameOrigin) return sendJson(res, 403, { error: `a change must come from the console's own page (${`http://${host}`}), not from ${origin ?? 'an unknown origin'}` });
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return sendJson(res, 415, { error: 'a change must be sent as application/json' });
    }
    let body: unknown;
    try {
      body = reads ? undefined : await readJson(req);
    } catch (err) {
      return sendJson(res, err instanceof ApiError ? err.status : 400, { error: (err as Error).message });
    }
    try {
      const answer = await api({ method: method === 'HEAD' ? 'GET' : method, path: url.pathname.slice('/api'.length) || '/', query: url.searchParams, body });
      return sendJson(res, 200, answer);
    } catch (err) {
      if (err instanceof ApiError) {
        if (err.status === 405 && err.details?.allow) res.setHeader('allow', String(err.details.allow));
        return sendJson(res, err.status, { error: err.message, ...err.details });
      }
      const described = describeAwsError(err, process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION);
      return sendJson(res, 502, { error: described ?? `reading or writing the data failed: ${(err as Error).message ?? String(err)}` });
    }
  }

  /** Trades a launch code for the token, once, and only for a page of the console's own origin. */
  async function launch(req: IncomingMessage, res: ServerResponse, host: string): Promise<void> {
    if (req.headers.origin !== `http://${host}`) return sendJson(res, 403, { error: 'a launch code is only taken from the console\'s own page' });
    const code = (await readJson(req).catch(() => undefined) as { code?: unknown } | undefined)?.code;
    if (typeof code !== 'string' || !launchCodes.delete(code)) {
      return sendJson(res, 401, { error: 'this launch link was used already: open the address `switchboard console` printed (it ends in #token=...)' });
    }
    return sendJson(res, 200, { token });
  }

  async function sendAsset(res: ServerResponse, pathname: string, headOnly: boolean): Promise<void> {
    let decodedPath: string;
    try {
      decodedPath = decodeURIComponent(pathname);
    } catch {
      return sendJson(res, 400, { error: 'the path is not valid percent-encoding' });
    }
    const relative = normalize(decodedPath).replace(/^([/\\])+/, '');
    const file = join(assetsDir, relative);
    const inside = file.startsWith(assetsDir + sep);
    const found = inside && relative !== '' && (await stat(file).catch(() => undefined))?.isFile();
    // Every other path is one of the app's pages (/calls?number=..., /numbers/+1713...): the app routes it.
    const served = found ? file : join(assetsDir, 'index.html');
    const hashed = found && relative.startsWith('assets' + sep);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': CONTENT_TYPES[extname(served)] ?? 'application/octet-stream',
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (headOnly) return void res.end();
    createReadStream(served).pipe(res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${ownHosts(port)[0]}`;
  return {
    origin,
    url: `${origin}/#token=${token}`,
    launchUrl: () => {
      const code = randomBytes(18).toString('base64url');
      launchCodes.add(code);
      return `${origin}/#launch=${code}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The Host a browser sends to the console on `port`: the first is the one it prints. */
function ownHosts(port: number | undefined): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, `the request is over ${MAX_BODY_BYTES / 1024} KiB`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiError(400, 'the request body is not JSON');
  }
}
