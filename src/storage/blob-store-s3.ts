// Blobs in S3-compatible object storage (AWS S3, MinIO, Ceph, s3rver ...) through the AWS
// SDK: uploads stream as multipart uploads (lib-storage; 5 MiB parts, a few in flight),
// downloads stream the object body, and downloads can be handed out as presigned URLs.
// Credentials and region come from the SDK's usual chain (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_REGION, profiles, instance roles).
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { checkKey, type BlobStore } from './blob-store.ts';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Prepended to every key (`circlet/` → `circlet/artifacts/…`); default none. */
  prefix?: string;
  /** A non-AWS endpoint, e.g. `http://minio:9000`. */
  endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which most non-AWS servers need. */
  forcePathStyle?: boolean;
  region?: string;
  /** Explicit credentials (tests); otherwise the SDK's default chain. */
  credentials?: S3ClientConfig['credentials'];
  /** Hand out presigned download URLs (default true). */
  presign?: boolean;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

export class S3BlobStore implements BlobStore {
  readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly opts: S3BlobStoreOptions) {
    if (!opts.bucket) throw new Error('the S3 blob store needs a bucket');
    const prefix = opts.prefix ?? '';
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    if (this.prefix !== '') checkKey(this.prefix.replace(/\/$/, ''));
    this.client = new S3Client({
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      forcePathStyle: opts.forcePathStyle ?? false,
      region: opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      // Checksums on every request cost CPU and some S3-compatible servers reject them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  get description(): string {
    return `s3 ${this.opts.bucket}/${this.prefix}${this.opts.endpoint ? ` at ${this.opts.endpoint}` : ''}`;
  }

  private objectKey(key: string): string {
    checkKey(key);
    return this.prefix + key;
  }

  async put(key: string, body: Readable): Promise<number> {
    const Key = this.objectKey(key);
    let size = 0;
    body.on('data', (c: Buffer | string) => (size += typeof c === 'string' ? Buffer.byteLength(c) : c.length));
    const upload = new Upload({ client: this.client, params: { Bucket: this.opts.bucket, Key, Body: body }, queueSize: 2, partSize: 5 * 1024 * 1024 });
    try {
      await upload.done();
    } catch (err) {
      body.destroy();
      throw err;
    }
    return size;
  }

  async get(key: string): Promise<{ body: Readable; size: number } | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: this.objectKey(key) }));
      return { body: res.Body as Readable, size: Number(res.ContentLength ?? 0) };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.opts.bucket, Key: this.objectKey(key) }));
  }

  async deletePrefix(prefix: string): Promise<void> {
    checkKey(prefix.replace(/\/$/, ''));
    // A prefix without its slash names one key or a folder, never a sibling (`a/b` is not `a/bc`).
    const folder = this.prefix + (prefix.endsWith('/') ? prefix : `${prefix}/`);
    if (!prefix.endsWith('/')) await this.delete(prefix);
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.opts.bucket, Prefix: folder, ContinuationToken: token }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (keys.length > 0) await this.client.send(new DeleteObjectsCommand({ Bucket: this.opts.bucket, Delete: { Objects: keys, Quiet: true } }));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async downloadUrl(key: string, seconds: number, contentType?: string): Promise<string | undefined> {
    if (this.opts.presign === false) return undefined;
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.opts.bucket, Key: this.objectKey(key), ResponseContentType: contentType }), { expiresIn: seconds });
  }

  close(): void {
    this.client.destroy();
  }
}
