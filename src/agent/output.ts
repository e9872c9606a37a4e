// Step output on its way to the server: secrets masked (by agent/masker.ts), then batched into
// chunks (about every 100 ms or 64 KB) numbered by a per-step `seq`, so a retried request is
// stored once.
// Chunks sealed while earlier ones are still on their way are sent together (up to
// `maxSendBytes`, 4 MiB), so a step printing fast costs one request per few MiB, not per 64 KB.
// Two chunks are in flight at most: the next one (when at least `minOverlapBytes`, 1 MiB, queued
// up) travels while the server stores the one before (it stores a step's chunks in seq order,
// src/engine/runner/output-order.ts).
//
// Output stays bytes all the way (it goes out on the raw output route): no decode to a JS
// string and encode back. A complete line without a secret in it (the common case: one
// `indexOf` per secret over the bytes read) is sent as it was read; only text that holds a
// secret is decoded, masked and encoded again. UTF-8 makes this exact: a secret's bytes
// match only where its characters do, and a newline byte is never inside a character.
//
// Masking is line-buffered: complete lines are masked and sent; a partial line (a prompt,
// a progress bar) is sent after a short delay, except for a tail that could be the start
// of a secret (or is the start of a character), which is held back until more output shows
// whether it is one. So a secret split across reads, or across chunk boundaries, is masked
// all the same.

import type { Masker } from './masker.ts';

const NEWLINE = 0x0a;

export interface Chunk {
  seq: number;
  stream: 'out' | 'err';
  /** UTF-8 text (invalid sequences as the program printed them: the server makes them U+FFFD). */
  data: Buffer;
}

export interface StepOutputOptions {
  masker: Masker;
  /**
   * Sends one chunk; throws to report a failure (the chunk is then dropped). The chunk's bytes
   * are valid until the returned promise settles (its buffer is then reused): copy to keep them.
   */
  send(chunk: Chunk): Promise<void>;
  /** Called with errors from send (already retried by the client). */
  onError?(err: unknown): void;
  flushMs?: number;
  maxBytes?: number;
  /** Largest chunk sent when chunks queued up behind a request in flight (default 4 MiB; the server takes 8). */
  maxSendBytes?: number;
  /**
   * Chunks sent at once (default 2: the next is on its way while the server stores the one
   * before; the server stores them in seq order).
   */
  maxInFlight?: number;
  /**
   * A chunk goes out beside one in flight only when this much is queued (default 1 MiB): a
   * small one waits for the request in flight to end. Else, with a server that stores fast, a
   * step printing fast sent two small chunks per round trip (three times the requests of one
   * slot, each with its own cost on both sides) instead of one larger one.
   */
  minOverlapBytes?: number;
  /** How long a partial line waits for its end before it is sent anyway. */
  partialMs?: number;
  /** Called with every masked piece of text as it is queued (local logs, tests). */
  tee?(stream: 'out' | 'err', text: string): void;
  /**
   * Makes the buffers chunks are sent from (default Buffer.allocUnsafe; the embedded agent's
   * are shared with the server's thread: server/embedded-output.ts).
   */
  alloc?(size: number): Buffer;
}

/** Bytes at the end of `b` that begin a UTF-8 character not yet complete (0–3). */
function incompleteTail(b: Buffer): number {
  for (let k = 1; k <= Math.min(3, b.length); k++) {
    const byte = b[b.length - k]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > k ? k : 0;
  }
  return 0;
}

interface Lane {
  pending: Buffer;
  partialTimer?: NodeJS.Timeout;
}

/**
 * A batch's bytes, copied into one buffer as they are emitted: the buffers of the pipe's reads
 * die young (held until a batch is sent, hundreds of them survived into the old generation,
 * and collecting them cost more than copying).
 */
interface Batch {
  stream: 'out' | 'err';
  buf: Buffer;
  bytes: number;
}

/** Batches that were copied into a merged chunk leave their buffers here for new batches (never one a send saw). */
const SPARE_BATCHES = 64;

export class StepOutput {
  private seq = 0;
  private readonly lanes: Record<'out' | 'err', Lane> = {
    out: { pending: EMPTY },
    err: { pending: EMPTY },
  };
  private batch: Batch | undefined;
  /** `maxBytes` buffers of batches merged into a larger chunk, free for new batches. */
  private readonly spare: Buffer[] = [];
  /** Buffers merged chunks are sent from that no send holds. */
  private readonly merged: Buffer[] = [];
  private batchTimer?: NodeJS.Timeout;
  /** Sealed batches waiting to be sent; `seq` is given when they are sent. */
  private readonly queue: Batch[] = [];
  private sending: Promise<void> | undefined;
  /** Wakes a drain waiting with a free slot for the next sealed batch. */
  private wake: (() => void) | undefined;
  private closed = false;
  private readonly flushMs: number;
  private readonly maxBytes: number;
  private readonly maxSendBytes: number;
  private readonly partialMs: number;
  private readonly maxInFlight: number;
  private readonly minOverlapBytes: number;
  private readonly alloc: (size: number) => Buffer;
  /** Bytes of (masked) output queued so far. */
  bytes = 0;

  constructor(private readonly opts: StepOutputOptions) {
    this.flushMs = opts.flushMs ?? 100;
    this.maxBytes = opts.maxBytes ?? 64 * 1024;
    this.maxSendBytes = Math.max(this.maxBytes, opts.maxSendBytes ?? 4 * 1024 * 1024);
    this.partialMs = opts.partialMs ?? 50;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 2);
    this.minOverlapBytes = opts.minOverlapBytes ?? 1024 * 1024;
    this.alloc = opts.alloc ?? ((size) => Buffer.allocUnsafe(size));
  }

  write(stream: 'out' | 'err', data: Buffer | string): void {
    if (this.closed) return;
    const lane = this.lanes[stream];
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (bytes.length === 0) return;
    const masker = this.opts.masker;
    let rest = bytes;
    if (lane.pending.length > 0) {
      // The held partial line is completed by this read's first line: only that line is
      // copied (not the whole read), unless a secret spans lines (then masked whole, as read).
      const first = masker.multiLine ? -1 : bytes.indexOf(NEWLINE);
      if (first === -1) {
        rest = Buffer.concat([lane.pending, bytes]);
      } else {
        this.emit(stream, masker.maskBytes(Buffer.concat([lane.pending, bytes.subarray(0, first + 1)])));
        rest = bytes.subarray(first + 1);
      }
      lane.pending = EMPTY;
    }
    const nl = rest.lastIndexOf(NEWLINE);
    if (nl >= 0) {
      this.emit(stream, masker.maskBytes(rest.subarray(0, nl + 1)));
      rest = rest.subarray(nl + 1);
    }
    lane.pending = rest;
    if (lane.pending.length >= this.maxBytes) this.flushPartial(stream);
    else if (lane.pending.length > 0 && !lane.partialTimer) lane.partialTimer = setTimeout(() => this.flushPartial(stream), this.partialMs);
  }

  private flushPartial(stream: 'out' | 'err', all = false): void {
    const lane = this.lanes[stream];
    if (lane.partialTimer) clearTimeout(lane.partialTimer);
    lane.partialTimer = undefined;
    if (lane.pending.length === 0) return;
    const hold = all ? 0 : Math.max(this.opts.masker.heldBytes(lane.pending), incompleteTail(lane.pending));
    const bytes = lane.pending.subarray(0, lane.pending.length - hold);
    // What is held is copied: the rest of the buffer it shares can go.
    lane.pending = hold === 0 ? EMPTY : Buffer.from(lane.pending.subarray(lane.pending.length - hold));
    if (bytes.length > 0) this.emit(stream, this.opts.masker.maskBytes(bytes));
    else if (lane.pending.length > 0 && !this.closed) lane.partialTimer = setTimeout(() => this.flushPartial(stream), this.partialMs);
  }

  private emit(stream: 'out' | 'err', bytes: Buffer): void {
    this.opts.tee?.(stream, bytes.toString('utf8'));
    this.bytes += bytes.length;
    // A batch is one buffer of `maxBytes` (or one emit, when larger), never grown: what does
    // not fit starts the next batch. Growing by doubling copied each batch several times over.
    if (this.batch && (this.batch.stream !== stream || this.batch.bytes + bytes.length > this.batch.buf.length)) this.seal();
    this.batch ??= { stream, buf: bytes.length <= this.maxBytes ? (this.spare.pop() ?? this.alloc(this.maxBytes)) : this.alloc(bytes.length), bytes: 0 };
    bytes.copy(this.batch.buf, this.batch.bytes);
    this.batch.bytes += bytes.length;
    if (this.batch.bytes >= this.maxBytes) this.seal();
    else if (!this.batchTimer) this.batchTimer = setTimeout(() => this.seal(), this.flushMs);
  }

  private seal(): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (!this.batch || this.batch.bytes === 0) return;
    this.queue.push(this.batch);
    this.batch = undefined;
    this.wake?.();
    this.sending ??= this.drain();
  }

  private async drain(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    try {
      for (;;) {
        // The next chunk goes out while the previous one is being stored (the server stores
        // them in seq order): the round trip of one chunk no longer idles the other side.
        while (inFlight.size >= this.maxInFlight) await Promise.race(inFlight);
        if (inFlight.size > 0 && !this.closed && this.queuedBytes() < this.minOverlapBytes) {
          // Too little for a request of its own beside the one in flight: it goes when that one
          // ends, or beside it once enough queued up.
          await Promise.race([...inFlight, new Promise<void>((r) => (this.wake = r))]);
          this.wake = undefined;
          continue;
        }
        const c = this.nextChunk();
        if (!c) {
          if (inFlight.size === 0) break;
          // A batch sealed meanwhile goes out at once (a slot is free); else when a request ends.
          await Promise.race([...inFlight, new Promise<void>((r) => (this.wake = r))]);
          this.wake = undefined;
          continue;
        }
        const p: Promise<void> = this.sendChunk(c.chunk, c.merged).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
    } finally {
      this.sending = undefined;
    }
  }

  private queuedBytes(): number {
    let n = 0;
    for (const b of this.queue) n += b.bytes;
    return n;
  }

  /**
   * The next chunk to send: the first queued batch, with what queued up behind it merged in
   * (same stream, in order), copied once into a buffer of its size; the batches' buffers are
   * then reused.
   */
  private nextChunk(): { chunk: Chunk; merged: Buffer | undefined } | undefined {
    const b = this.queue.shift();
    if (!b) return undefined;
    let total = b.bytes;
    let n = 0;
    for (let next = this.queue[n]; next && next.stream === b.stream && total + next.bytes <= this.maxSendBytes; next = this.queue[++n]) total += next.bytes;
    let data = b.buf.subarray(0, b.bytes);
    let merged: Buffer | undefined;
    if (n > 0) {
      // Buffers of `maxSendBytes`, reused from send to send (the chunk is done with once send resolved).
      const i = this.merged.findIndex((m) => m.length >= total);
      merged = i >= 0 ? this.merged.splice(i, 1)[0]! : this.alloc(Math.max(total, this.maxSendBytes));
      data = merged.subarray(0, total);
      let at = 0;
      for (const part of [b, ...this.queue.splice(0, n)]) {
        at += part.buf.copy(data, at, 0, part.bytes);
        if (part.buf.length === this.maxBytes && this.spare.length < SPARE_BATCHES) this.spare.push(part.buf);
      }
    }
    return { chunk: { seq: this.seq++, stream: b.stream, data }, merged };
  }

  private async sendChunk(c: Chunk, merged: Buffer | undefined): Promise<void> {
    try {
      await this.opts.send(c);
      if (merged && this.merged.length < this.maxInFlight) this.merged.push(merged);
    } catch (err) {
      // A failed request may still hold the buffer: the next merge takes a new one.
      this.opts.onError?.(err);
    }
  }

  /** Sends everything still buffered and waits until it was sent. */
  async close(): Promise<void> {
    if (this.closed) return this.sending;
    this.closed = true;
    for (const stream of ['out', 'err'] as const) this.flushPartial(stream, true);
    this.seal();
    while (this.sending) await this.sending;
  }
}

const EMPTY = Buffer.alloc(0);
