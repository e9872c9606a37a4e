// A real S3-protocol server (s3rver, on loopback, files in a temp dir) for tests and benches.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { tempDir } from './databases.ts';

export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface TestS3 {
  endpoint: string;
  port: number;
  /** Creates a bucket (names: 3-63 lower-case letters, digits, dashes). */
  bucket(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startS3(opts: { address?: string; port?: number } = {}): Promise<TestS3> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dir = tempDir('circlet-s3-');
  const server = new S3rver({ address: opts.address ?? '127.0.0.1', port: opts.port ?? 0, silent: true, directory: dir });
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://${address.address}:${address.port}`;
  return {
    endpoint,
    port: address.port,
    async bucket(name) {
      const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: S3_CREDENTIALS });
      try {
        await client.send(new CreateBucketCommand({ Bucket: name }));
      } finally {
        client.destroy();
      }
      return name;
    },
    async close() {
      // Keep-alive sockets of SDK clients would hold close() open: give it a moment, then go on.
      await Promise.race([server.close(), new Promise((r) => setTimeout(r, 1_000))]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
