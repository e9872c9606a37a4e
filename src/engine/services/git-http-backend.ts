// git's smart HTTP protocol for the server's mirrors, read-only, through `git http-backend`
// (git's own CGI program): clients fetch exactly as they would from a git host.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface GitHttpRequest {
  /** The directory that holds the mirrors (`<root>/<name>.git`). */
  root: string;
  /** `/<name>.git/info/refs` or `/<name>.git/git-upload-pack`. */
  pathInfo: string;
  method: 'GET' | 'POST';
  query: string;
  contentType?: string;
  contentEncoding?: string;
  /** The client's `Git-Protocol` header (protocol v2). */
  gitProtocol?: string;
  remoteUser: string;
  body?: Readable;
}

export interface GitHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

/** Runs `git http-backend` for one request; resolves once its CGI headers are read. */
export function gitHttpBackend(req: GitHttpRequest): Promise<GitHttpResponse> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: req.root,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: req.pathInfo,
    REQUEST_METHOD: req.method,
    QUERY_STRING: req.query,
    REMOTE_USER: req.remoteUser,
    REMOTE_ADDR: '127.0.0.1',
    CONTENT_TYPE: req.contentType ?? '',
    // Read-only: pushing is off, and a job may fetch the exact commit it builds even when no
    // ref points at it any more.
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: 'http.receivepack',
    GIT_CONFIG_VALUE_0: 'false',
    GIT_CONFIG_KEY_1: 'uploadpack.allowAnySHA1InWant',
    GIT_CONFIG_VALUE_1: 'true',
  };
  if (req.contentEncoding) env.HTTP_CONTENT_ENCODING = req.contentEncoding;
  if (req.gitProtocol) env.GIT_PROTOCOL = req.gitProtocol;
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  if (req.body) req.body.pipe(child.stdin);
  else child.stdin.end();
  child.stdin.on('error', () => undefined);
  child.stderr.resume();
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = headerEnd(head);
      if (end === undefined) return;
      // Paused before the listener goes: a flowing stream with no listener drops its data.
      child.stdout.pause();
      child.stdout.off('data', onData);
      const { status, headers } = parseCgiHeaders(head.subarray(0, end.at).toString('latin1'));
      const rest = head.subarray(end.at + end.length);
      if (rest.length > 0) child.stdout.unshift(rest);
      resolve({ status, headers, body: child.stdout });
    };
    child.stdout.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => reject(new Error(`git http-backend ended (${code}) before its headers`)));
  });
}

function headerEnd(buf: Buffer): { at: number; length: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { at: crlf, length: 4 };
  return lf === -1 ? undefined : { at: lf, length: 2 };
}

/** CGI response headers: `Status: 404 Not Found` sets the status; the rest pass through. */
export function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers[name.toLowerCase()] = value;
  }
  return { status, headers };
}
