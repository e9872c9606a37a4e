// Output on its way to the server: masking (also across chunk boundaries), batching, seq.
import { describe, expect, it } from 'vitest';
import { Masker } from '../../src/agent/masker.ts';
import { StepOutput, type Chunk } from '../../src/agent/output.ts';
import { composeEnv } from '../../src/agent/env.ts';
import { readEnvironment } from '../../src/config/read-compiled.ts';
import { parseDuration, splitShell } from '../../src/agent/steps/types.ts';

/** A chunk as text, to compare (chunks carry the bytes sent). */
type TextChunk = Omit<Chunk, 'data'> & { data: string };
const asText = (c: Chunk): TextChunk => ({ ...c, data: c.data.toString('utf8') });

function collector(masker: Masker, opts: { flushMs?: number; maxBytes?: number; partialMs?: number } = {}) {
  const chunks: TextChunk[] = [];
  const out = new StepOutput({ masker, send: async (c) => void chunks.push(asText(c)), ...opts });
  return { out, chunks, text: () => chunks.map((c) => c.data).join('') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Masker', () => {
  it('masks values of 4+ characters except booleans, longest first', () => {
    const m = new Masker(['abc', 'true', 'False', 'secret', 'secret-longer']);
    expect(m.mask('abc true False secret secret-longer')).toBe('abc true False ******** ********');
  });

  it('masks regex metacharacters literally and multi-line secrets line by line', () => {
    const m = new Masker(['a.b*c+d', 'line-one\nline-two']);
    expect(m.mask('x a.b*c+d aXbbc+d')).toBe('x ******** aXbbc+d');
    expect(m.mask('line-one\nline-two\n')).toBe('********\n');
    expect(m.mask('only line-two here')).toBe('only ******** here');
  });

  it('knows which tail could start a secret', () => {
    const m = new Masker(['hunter22']);
    expect(m.heldSuffix('password: hun')).toBe(3);
    expect(m.heldSuffix('password: x')).toBe(0);
    expect(m.heldSuffix('hunter22')).toBe(0); // complete: masked, not held
  });
});

describe('StepOutput', () => {
  it('masks a secret split across writes and across a partial-line flush', async () => {
    const { out, text } = collector(new Masker(['topsecret']), { partialMs: 10 });
    out.write('out', Buffer.from('the value is top'));
    await sleep(40); // the partial line is flushed, but "top" is held back
    out.write('out', Buffer.from('secret!\nnext line\n'));
    await out.close();
    expect(text()).toBe('the value is ********!\nnext line\n');
  });

  it('decodes UTF-8 split across reads', async () => {
    const { out, text } = collector(new Masker([]));
    const bytes = Buffer.from('héllo wörld\n');
    for (let i = 0; i < bytes.length; i++) out.write('out', bytes.subarray(i, i + 1));
    await out.close();
    expect(text()).toBe('héllo wörld\n');
  });

  it('never sends part of a character when a partial line is flushed', async () => {
    const chunks: Chunk[] = [];
    const out = new StepOutput({ masker: new Masker([]), partialMs: 5, flushMs: 1, send: async (c) => void chunks.push(c) });
    const e = Buffer.from('é');
    out.write('out', Buffer.concat([Buffer.from('ab'), e.subarray(0, 1)]));
    await sleep(40); // "ab" flushed as a partial line; the first byte of é held
    out.write('out', Buffer.concat([e.subarray(1), Buffer.from('\n')]));
    await out.close();
    expect(chunks.map((c) => c.data.toString('utf8'))).toEqual(['ab', 'é\n']);
  });

  it('masks a secret of several-byte characters split inside a character across reads', async () => {
    const { out, text } = collector(new Masker(['sécrét-ü']), { partialMs: 5 });
    const bytes = Buffer.from('key: sécrét-ü; more\n');
    const cut = bytes.indexOf(Buffer.from('é')) + 1; // inside the first é
    out.write('out', bytes.subarray(0, cut));
    await sleep(30);
    out.write('out', bytes.subarray(cut));
    await out.close();
    expect(text()).toBe('key: ********; more\n');
  });

  it('batches into chunks with increasing seq, by time and by size, per stream', async () => {
    const { out, chunks } = collector(new Masker([]), { flushMs: 30, maxBytes: 100 });
    out.write('out', 'a\n');
    out.write('out', 'b\n');
    await sleep(60);
    expect(chunks).toEqual([{ seq: 0, stream: 'out', data: 'a\nb\n' }]);
    out.write('out', 'x'.repeat(150) + '\n');
    out.write('err', 'oops\n');
    await out.close();
    expect(chunks.map((c) => [c.seq, c.stream])).toEqual([
      [0, 'out'],
      [1, 'out'],
      [2, 'err'],
    ]);
    expect(chunks[1]!.data).toBe('x'.repeat(150) + '\n');
  });

  it('sends what queued up behind a request in flight as one chunk, per stream, up to maxSendBytes', async () => {
    const chunks: TextChunk[] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const out = new StepOutput({
      masker: new Masker([]),
      maxBytes: 10,
      maxSendBytes: 30,
      send: async (c) => {
        chunks.push(asText(c));
        if (c.seq === 0) await first;
      },
    });
    out.write('out', '0123456789\n'); // sealed and sent at once (seq 0), held in flight
    for (let i = 0; i < 4; i++) out.write('out', `line ${i}....\n`); // 12 bytes each, sealed one by one
    out.write('err', 'oops......\n');
    release();
    await out.close();
    expect(chunks.map((c) => [c.seq, c.stream, c.data])).toEqual([
      [0, 'out', '0123456789\n'],
      [1, 'out', 'line 0....\nline 1....\n'],
      [2, 'out', 'line 2....\nline 3....\n'],
      [3, 'err', 'oops......\n'],
    ]);
  });

  it('keeps a second chunk in flight while the first is being stored, never more than maxInFlight', async () => {
    const inFlight: number[] = [];
    let most = 0;
    const held: (() => void)[] = [];
    const sent: TextChunk[] = [];
    const out = new StepOutput({
      masker: new Masker([]),
      flushMs: 1,
      minOverlapBytes: 0,
      send: async (c) => {
        inFlight.push(c.seq);
        most = Math.max(most, inFlight.length);
        sent.push(asText(c));
        await new Promise<void>((r) => held.push(r));
        inFlight.splice(inFlight.indexOf(c.seq), 1);
      },
    });
    for (let i = 0; i < 4; i++) {
      out.write('out', `line ${i}\n`);
      await sleep(20);
    }
    // Sealed 20 ms apart: seq 0 and 1 went out on their own, the rest waits for a free slot.
    expect(sent.map((c) => [c.seq, c.data])).toEqual([
      [0, 'line 0\n'],
      [1, 'line 1\n'],
    ]);
    const closed = out.close();
    while (held.length > 0 || inFlight.length > 0) {
      held.shift()?.();
      await sleep(5);
    }
    await closed;
    expect(most).toBe(2);
    expect(sent.map((c) => [c.seq, c.data])).toEqual([
      [0, 'line 0\n'],
      [1, 'line 1\n'],
      [2, 'line 2\nline 3\n'],
    ]);
  });

  it('sends a second chunk beside one in flight only once minOverlapBytes queued up; a smaller one waits for the first to end', async () => {
    const held: (() => void)[] = [];
    const sent: TextChunk[] = [];
    const out = new StepOutput({
      masker: new Masker([]),
      flushMs: 1,
      maxBytes: 10,
      minOverlapBytes: 30,
      send: async (c) => {
        sent.push(asText(c));
        await new Promise<void>((r) => held.push(r));
      },
    });
    out.write('out', 'first....\n'); // seq 0, in flight
    out.write('out', 'small....\n'); // 10 bytes queued: waits
    await sleep(20);
    expect(sent.map((c) => c.data)).toEqual(['first....\n']);
    out.write('out', 'more.....\nand more.\n'); // 30 bytes queued: goes beside seq 0
    await sleep(20);
    expect(sent.map((c) => [c.seq, c.data])).toEqual([
      [0, 'first....\n'],
      [1, 'small....\nmore.....\nand more.\n'],
    ]);
    out.write('out', 'last.....\n'); // waits while a request is in flight
    held.shift()!();
    await sleep(20);
    expect(sent).toHaveLength(2);
    held.shift()!();
    await sleep(20);
    expect(sent.map((c) => [c.seq, c.data]).at(-1)).toEqual([2, 'last.....\n']);
    const closed = out.close();
    while (held.length > 0) {
      held.shift()!();
      await sleep(5);
    }
    await closed;
    expect(sent).toHaveLength(3);
  });

  it('keeps sending after a failed chunk and reports the error', async () => {
    const errors: unknown[] = [];
    const sent: number[] = [];
    const out = new StepOutput({
      masker: new Masker([]),
      flushMs: 1,
      send: async (c) => {
        if (c.seq === 0) throw new Error('boom');
        sent.push(c.seq);
      },
      onError: (e) => errors.push(e),
    });
    out.write('out', 'one\n');
    await sleep(20);
    out.write('out', 'two\n');
    await out.close();
    expect(sent).toEqual([1]);
    expect(errors).toHaveLength(1);
  });
});

describe('environment and step helpers', () => {
  it('reads config environments as maps or lists', () => {
    expect(readEnvironment({ A: 1, B: true, C: null })).toEqual({ A: '1', B: 'true', C: '' });
    expect(readEnvironment([{ A: 'x' }, 'B=y=z'])).toEqual({ A: 'x', B: 'y=z' });
  });

  it('orders layers as CircleCI does', () => {
    const env = composeEnv({
      base: { X: 'base', PATH: '/bin' },
      secrets: { X: 'secrets', S: 's' },
      builtIn: { X: 'builtin', CIRCLE_BRANCH: 'main' },
      container: { X: 'container' },
      job: { X: 'job' },
      step: { X: 'step' },
    });
    expect(env).toEqual({ X: 'step', PATH: '/bin', S: 's', CIRCLE_BRANCH: 'main' });
  });

  it('parses durations and shells', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('20')).toBe(20_000);
    expect(parseDuration('soon')).toBeUndefined();
    expect(splitShell('/bin/bash -eo pipefail')).toEqual(['/bin/bash', '-eo', 'pipefail']);
  });
});
