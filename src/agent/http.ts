// The agent's HTTP client: node:http(s) with keep-alive, shaped like the little of `fetch` the
// agent uses. Not `fetch` itself: undici costs ~10 MB of memory in every process that touches
// it (the embedded agent lives in the server) and more CPU per request.
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';

const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

export interface HttpResponse {
  status: number;
  /** The body as a stream (read it, or call text/json once). */
  body: Readable;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export interface HttpRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
  signal?: AbortSignal;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function httpRequest(url: string, init: HttpRequestInit = {}): Promise<HttpResponse> {
  const target = new URL(url);
  const mod = target.protocol === 'https:' ? https : http;
  const headers: Record<string, string | number> = { ...init.headers };
  if (typeof init.body === 'string' || Buffer.isBuffer(init.body)) headers['content-length'] = Buffer.byteLength(init.body);
  return new Promise((resolve, reject) => {
    if (init.signal?.aborted) return reject(init.signal.reason ?? new Error('aborted'));
    const req = mod.request(target, { method: init.method ?? 'GET', headers, agent: agents[target.protocol as 'http:' | 'https:'], signal: init.signal }, (res) => {
      let text: Promise<string> | undefined;
      resolve({
        status: res.statusCode ?? 0,
        body: res,
        text: () => (text ??= readAll(res)),
        json: async () => JSON.parse(await (text ??= readAll(res))) as unknown,
      });
    });
    req.on('error', reject);
    if (init.body instanceof Readable) {
      init.body.on('error', (err) => req.destroy(err));
      init.body.pipe(req);
    } else {
      req.end(init.body);
    }
  });
}
