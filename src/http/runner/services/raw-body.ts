// Raw output bodies (POST /tasks/:id/steps/:index/output/raw) read straight into reused
// buffers. A step printing fast sends a few MiB per request: read the usual way, each body
// is one more buffer of its size (the socket's pieces concatenated), on top of the socket's
// own reads and, on PostgreSQL, the driver's copy into its message. Buffers that large
// live outside V8's heap, and every ~64 MB of them allocated starts a full collection of
// the server's heap; with a buffer taken from a small free list per size class, and given
// back once the chunk is stored, one of those copies allocates nothing.
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { CircletError } from '../../../domain/errors.ts';

/** Smallest size class; a body is read into a buffer of the next power of two at least its size. */
const MIN_CLASS = 64 * 1024;
/** Free buffers kept per size class (more are left to the garbage collector). */
const KEEP_PER_CLASS = 2;
/** Free buffers are let go after this long without a raw body. */
const IDLE_MS = 30_000;

const capacityFor = (size: number) => Math.max(MIN_CLASS, 2 ** Math.ceil(Math.log2(Math.max(1, size))));

export class RawBodies {
  private readonly free = new Map<number, Buffer[]>();
  /** Each body handed to a route → the whole buffer it is the start of. */
  private readonly owners = new WeakMap<Buffer, Buffer>();
  private idle?: NodeJS.Timeout;

  constructor(private readonly limit: number) {}

  /** A Fastify content-type parser (without parseAs: it reads the request stream itself). */
  readonly parser = (req: FastifyRequest, payload: IncomingMessage, done: (err: Error | null, body?: Buffer) => void): void => {
    const header = req.headers['content-length'];
    const declared = header === undefined ? undefined : Number(header);
    if (declared !== undefined && declared > this.limit) {
      done(new CircletError('BODY_TOO_LARGE'));
      return;
    }
    // Without a length (chunked), the pieces are kept and joined at the end.
    const whole = declared !== undefined && declared > 0 ? this.take(declared) : undefined;
    const pieces: Buffer[] = [];
    let received = 0;
    let finished = false;
    const finish = (err: Error | null, body?: Buffer) => {
      if (finished) return;
      finished = true;
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onError);
      payload.removeListener('close', onClose);
      if (err && whole) this.give(whole);
      done(err, body);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > this.limit || (declared !== undefined && received > declared)) return finish(new CircletError('BODY_TOO_LARGE'));
      if (whole) chunk.copy(whole, received - chunk.length);
      else pieces.push(chunk);
    };
    const onEnd = () => {
      if (!whole) return finish(null, Buffer.concat(pieces, received));
      const body = whole.subarray(0, received);
      this.owners.set(body, whole);
      finish(null, body);
    };
    const onError = (err: Error) => finish(err);
    // A client gone before the end of its body: its request is not answered.
    const onClose = () => finish(new Error('request body ended early'));
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
    payload.on('close', onClose);
  };

  /** Gives a body's buffer back once nothing reads it any more (after the chunk is stored). */
  release(body: Buffer): void {
    const whole = this.owners.get(body);
    if (!whole) return;
    this.owners.delete(body);
    this.give(whole);
  }

  private take(size: number): Buffer {
    const capacity = capacityFor(size);
    return this.free.get(capacity)?.pop() ?? Buffer.allocUnsafe(capacity);
  }

  private give(buf: Buffer): void {
    let list = this.free.get(buf.length);
    if (!list) this.free.set(buf.length, (list = []));
    if (list.length < KEEP_PER_CLASS) list.push(buf);
    if (this.idle) this.idle.refresh();
    else this.idle = setTimeout(() => this.free.clear(), IDLE_MS).unref();
  }
}
