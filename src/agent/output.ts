// Step output on its way to the server: secrets masked, then batched into chunks (about
// every 100 ms or 64 KB) numbered by a per-step `seq`, so a retried request is stored once.
// Chunks sealed while an earlier one is still on its way are sent together (up to
// `maxSendBytes`, 4 MiB), so a step printing fast costs one request per few MiB, not per 64 KB.
//
// Masking is line-buffered: complete lines are masked and sent; a partial line (a prompt,
// a progress bar) is sent after a short delay, except for a tail that could be the start
// of a secret, which is held back until more output shows whether it is one. So a secret
// split across reads, or across chunk boundaries, is masked all the same.
import { StringDecoder } from 'node:string_decoder';

export const MASK = '********';

/** CircleCI leaves short values and booleans unmasked (they would mask too much). */
export function maskable(value: string): boolean {
  return value.length >= 4 && !['true', 'True', 'false', 'False'].includes(value);
}

export class Masker {
  private readonly re: RegExp | undefined;
  private readonly secrets: string[];

  constructor(values: Iterable<string>) {
    const set = new Set<string>();
    for (const v of values) {
      if (maskable(v)) set.add(v);
      // A multi-line secret is also masked line by line (output is masked per line).
      if (v.includes('\n')) for (const line of v.split(/\r?\n/)) if (maskable(line.trim())) set.add(line.trim());
    }
    this.secrets = [...set].sort((a, b) => b.length - a.length);
    this.re = this.secrets.length > 0 ? new RegExp(this.secrets.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g') : undefined;
  }

  get empty(): boolean {
    return this.re === undefined;
  }

  mask(text: string): string {
    return this.re ? text.replace(this.re, MASK) : text;
  }

  /** How many trailing characters of `text` could begin a secret (and must wait for more). */
  heldSuffix(text: string): number {
    let best = 0;
    for (const s of this.secrets) {
      const max = Math.min(s.length - 1, text.length);
      for (let k = max; k > best; k--) {
        if (text.endsWith(s.slice(0, k))) {
          best = k;
          break;
        }
      }
    }
    return best;
  }
}

export interface Chunk {
  seq: number;
  stream: 'out' | 'err';
  data: string;
}

export interface StepOutputOptions {
  masker: Masker;
  /** Sends one chunk; throws to report a failure (the chunk is then dropped). */
  send(chunk: Chunk): Promise<void>;
  /** Called with errors from send (already retried by the client). */
  onError?(err: unknown): void;
  flushMs?: number;
  maxBytes?: number;
  /** Largest chunk sent when chunks queued up behind a request in flight (default 4 MiB; the server takes 8). */
  maxSendBytes?: number;
  /** How long a partial line waits for its end before it is sent anyway. */
  partialMs?: number;
  /** Called with every masked piece of text as it is queued (local logs, tests). */
  tee?(stream: 'out' | 'err', text: string): void;
}

interface Lane {
  decoder: StringDecoder;
  pending: string;
  partialTimer?: NodeJS.Timeout;
}

export class StepOutput {
  private seq = 0;
  private readonly lanes: Record<'out' | 'err', Lane> = {
    out: { decoder: new StringDecoder('utf8'), pending: '' },
    err: { decoder: new StringDecoder('utf8'), pending: '' },
  };
  private batch: { stream: 'out' | 'err'; data: string; bytes: number } | undefined;
  private batchTimer?: NodeJS.Timeout;
  /** Sealed batches waiting to be sent; `seq` is given when they are sent. */
  private readonly queue: { stream: 'out' | 'err'; data: string; bytes: number }[] = [];
  private sending: Promise<void> | undefined;
  private closed = false;
  private readonly flushMs: number;
  private readonly maxBytes: number;
  private readonly maxSendBytes: number;
  private readonly partialMs: number;
  /** Bytes of (masked) output queued so far. */
  bytes = 0;

  constructor(private readonly opts: StepOutputOptions) {
    this.flushMs = opts.flushMs ?? 100;
    this.maxBytes = opts.maxBytes ?? 64 * 1024;
    this.maxSendBytes = Math.max(this.maxBytes, opts.maxSendBytes ?? 4 * 1024 * 1024);
    this.partialMs = opts.partialMs ?? 50;
  }

  write(stream: 'out' | 'err', data: Buffer | string): void {
    if (this.closed) return;
    const lane = this.lanes[stream];
    lane.pending += typeof data === 'string' ? data : lane.decoder.write(data);
    const nl = lane.pending.lastIndexOf('\n');
    if (nl >= 0) {
      this.emit(stream, this.opts.masker.mask(lane.pending.slice(0, nl + 1)));
      lane.pending = lane.pending.slice(nl + 1);
    }
    if (lane.pending.length >= this.maxBytes) this.flushPartial(stream);
    else if (lane.pending.length > 0 && !lane.partialTimer) lane.partialTimer = setTimeout(() => this.flushPartial(stream), this.partialMs);
  }

  private flushPartial(stream: 'out' | 'err', all = false): void {
    const lane = this.lanes[stream];
    if (lane.partialTimer) clearTimeout(lane.partialTimer);
    lane.partialTimer = undefined;
    if (lane.pending.length === 0) return;
    const hold = all ? 0 : this.opts.masker.heldSuffix(lane.pending);
    const text = lane.pending.slice(0, lane.pending.length - hold);
    lane.pending = lane.pending.slice(lane.pending.length - hold);
    if (text) this.emit(stream, this.opts.masker.mask(text));
  }

  private emit(stream: 'out' | 'err', text: string): void {
    this.opts.tee?.(stream, text);
    const bytes = Buffer.byteLength(text);
    this.bytes += bytes;
    if (this.batch && this.batch.stream !== stream) this.seal();
    this.batch ??= { stream, data: '', bytes: 0 };
    this.batch.data += text;
    this.batch.bytes += bytes;
    if (this.batch.bytes >= this.maxBytes) this.seal();
    else if (!this.batchTimer) this.batchTimer = setTimeout(() => this.seal(), this.flushMs);
  }

  private seal(): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (!this.batch || this.batch.data === '') return;
    this.queue.push(this.batch);
    this.batch = undefined;
    this.sending ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      for (let b = this.queue.shift(); b; b = this.queue.shift()) {
        // What queued up behind the previous request goes in one chunk (same stream, in order).
        let { data, bytes } = b;
        for (let next = this.queue[0]; next && next.stream === b.stream && bytes + next.bytes <= this.maxSendBytes; next = this.queue[0]) {
          data += next.data;
          bytes += next.bytes;
          this.queue.shift();
        }
        const c: Chunk = { seq: this.seq++, stream: b.stream, data };
        try {
          await this.opts.send(c);
        } catch (err) {
          this.opts.onError?.(err);
        }
      }
    } finally {
      this.sending = undefined;
    }
  }

  /** Sends everything still buffered and waits until it was sent. */
  async close(): Promise<void> {
    if (this.closed) return this.sending;
    for (const stream of ['out', 'err'] as const) {
      const lane = this.lanes[stream];
      lane.pending += lane.decoder.end();
      this.flushPartial(stream, true);
    }
    this.closed = true;
    this.seal();
    while (this.sending) await this.sending;
  }
}
