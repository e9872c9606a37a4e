// A loopback HTTP proxy in front of circlet that passes every response a client sees through
// CircleCI's spec (the conformance validator). Clients are pointed at it through their own
// base-URL option; what it saw is kept for the suite to assert on.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SpecValidator } from '../conformance/spec.ts';

export interface Seen {
  method: string;
  path: string;
  status: number;
  /** The spec's complaints; `no operation …` when the spec documents no such route. */
  problems: string[];
}

export interface ValidatingProxy {
  /** Base URL of the proxy (no trailing slash). */
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

export async function startValidatingProxy(target: string, spec: SpecValidator): Promise<ValidatingProxy> {
  const seen: Seen[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length')) as Record<string, string>;
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const upstream = await fetch(target + req.url, { method: req.method, headers, body });
    const text = await upstream.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    seen.push({ method: req.method ?? 'GET', path, status: upstream.status, problems: upstream.status < 400 ? spec.check(req.method ?? 'GET', path, upstream.status, parsed) : [] });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
