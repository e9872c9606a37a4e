// One contract for every blob store: the filesystem store, the database store on SQLite and
// PostgreSQL, and the S3 store against a real S3-protocol server (s3rver) started here.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlobStore, type BlobStore } from '../../src/storage/blob-store.ts';
import { DbBlobStore } from '../../src/storage/blob-store-db.ts';
import { S3BlobStore } from '../../src/storage/blob-store-s3.ts';
import { databaseKinds, tempDir } from '../helpers/databases.ts';
import { S3_CREDENTIALS, startS3, type TestS3 } from '../helpers/s3.ts';

interface Subject {
  name: string;
  /** Two stores over the same backing (two replicas). */
  open(): Promise<{ a: BlobStore; b: BlobStore; dispose(): Promise<void> }>;
}

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3();
}, 30_000);
afterAll(async () => {
  await s3?.close();
});

const subjects: Subject[] = [
  {
    name: 'filesystem',
    async open() {
      const dir = tempDir('circlet-blobs-');
      return { a: new FileBlobStore(dir), b: new FileBlobStore(dir), dispose: async () => fs.rmSync(dir, { recursive: true, force: true }) };
    },
  },
  ...databaseKinds().map(
    (kind): Subject => ({
      name: `database on ${kind.name}`,
      async open() {
        const { database, dispose } = await kind.create();
        // Small chunks, so every test crosses chunk boundaries.
        return { a: new DbBlobStore(database.db, 64 * 1024), b: new DbBlobStore(database.db, 64 * 1024), dispose };
      },
    }),
  ),
  {
    name: 's3 (s3rver)',
    async open() {
      const bucket = await s3.bucket(`b-${crypto.randomBytes(5).toString('hex')}`);
      const make = () => new S3BlobStore({ bucket, prefix: 'circlet', endpoint: s3.endpoint, forcePathStyle: true, credentials: S3_CREDENTIALS });
      const a = make();
      const b = make();
      return {
        a,
        b,
        async dispose() {
          a.close();
          b.close();
        },
      };
    },
  },
];

async function text(body: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(Buffer.from(c as Buffer));
  return Buffer.concat(parts);
}

function failingStream(after: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(after);
      } else this.destroy(new Error('client went away'));
    },
  });
}

describe.each(subjects)('blob store contract: $name', (subject) => {
  let a: BlobStore;
  let b: BlobStore;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ a, b, dispose } = await subject.open());
  }, 60_000);
  afterAll(async () => {
    await dispose?.();
  });

  it('stores a stream and reads it back, from either replica, with its size', async () => {
    const data = crypto.randomBytes(300 * 1024 + 7);
    expect(await a.put('artifacts/j1/0/x', Readable.from([data.subarray(0, 1000), data.subarray(1000)]))).toBe(data.length);
    for (const store of [a, b]) {
      const got = await store.get('artifacts/j1/0/x');
      expect(got?.size).toBe(data.length);
      expect((await text(got!.body)).equals(data)).toBe(true);
    }
  });

  it('stores an empty blob', async () => {
    expect(await a.put('caches/p/empty', Readable.from([]))).toBe(0);
    const got = await b.get('caches/p/empty');
    expect(got?.size).toBe(0);
    expect((await text(got!.body)).length).toBe(0);
  });

  it('answers undefined for an absent key', async () => {
    expect(await a.get('artifacts/none/0/x')).toBeUndefined();
  });

  it('refuses keys that are not plain relative paths', async () => {
    for (const key of ['../x', '/abs', 'a//b', 'a/./b', 'a b', '']) await expect(a.put(key, Readable.from([Buffer.from('x')]))).rejects.toThrow(/invalid blob key/);
    await expect(a.get('../etc/passwd')).rejects.toThrow(/invalid blob key/);
  });

  it('deletes one blob; deleting an absent one is no error', async () => {
    await a.put('workspaces/w/1', Readable.from([Buffer.from('one')]));
    await b.delete('workspaces/w/1');
    expect(await a.get('workspaces/w/1')).toBeUndefined();
    await a.delete('workspaces/w/1');
  });

  it('deletes a folder prefix or one key, never a sibling', async () => {
    for (const k of ['caches/p1/a', 'caches/p1/b/c', 'caches/p10/a', 'caches/p1x']) await a.put(k, Readable.from([Buffer.from(k)]));
    await b.deletePrefix('caches/p1/');
    expect(await a.get('caches/p1/a')).toBeUndefined();
    expect(await a.get('caches/p1/b/c')).toBeUndefined();
    expect((await a.get('caches/p10/a'))?.size).toBe('caches/p10/a'.length);
    await a.deletePrefix('caches/p1');
    expect((await a.get('caches/p1x'))?.size).toBe('caches/p1x'.length);
    await a.deletePrefix('caches/p1x');
    expect(await a.get('caches/p1x')).toBeUndefined();
  });

  it('leaves nothing readable when the upload stream fails', async () => {
    await expect(a.put('artifacts/broken/0/x', failingStream(crypto.randomBytes(200 * 1024)))).rejects.toThrow();
    expect(await b.get('artifacts/broken/0/x')).toBeUndefined();
  });

  it('streams a large blob in pieces rather than one buffer', async () => {
    const size = 6 * 1024 * 1024 + 123;
    const piece = crypto.randomBytes(256 * 1024);
    const hash = crypto.createHash('sha256');
    let produced = 0;
    const source = new Readable({
      read() {
        if (produced >= size) return void this.push(null);
        const n = Math.min(piece.length, size - produced);
        produced += n;
        hash.update(piece.subarray(0, n));
        this.push(piece.subarray(0, n));
      },
    });
    expect(await a.put('artifacts/big/0/x', source)).toBe(size);
    const got = (await b.get('artifacts/big/0/x'))!;
    const back = crypto.createHash('sha256');
    let pieces = 0;
    let largest = 0;
    for await (const c of got.body) {
      pieces++;
      largest = Math.max(largest, (c as Buffer).length);
      back.update(c as Buffer);
    }
    expect(back.digest('hex')).toBe(hash.digest('hex'));
    expect(pieces).toBeGreaterThan(1);
    expect(largest).toBeLessThan(size);
  }, 60_000);

  it('hands out a download URL that serves the blob when the store can make one', async () => {
    await a.put('artifacts/url/0/x', Readable.from([Buffer.from('hello url')]));
    const url = await a.downloadUrl?.('artifacts/url/0/x', 60, 'text/plain; charset=utf-8');
    if (subject.name.startsWith('s3')) {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
      const res = await fetch(url!);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('hello url');
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    } else {
      expect(url).toBeUndefined();
    }
  });
});
