import { request } from 'node:http';

/**
 * The status a local server answers a request with, sent with node:http: unlike fetch, it sends
 * the headers a browser or a script could and fetch will not (another `Host`, no `Origin`).
 */
export function statusOf(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
