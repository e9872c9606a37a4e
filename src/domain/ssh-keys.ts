// Ed25519 SSH key pairs in OpenSSH formats, with MD5 and SHA-256 fingerprints.
import crypto from 'node:crypto';

export interface SshKeyPair {
  /** `ssh-ed25519 AAAA… comment` */
  publicKey: string;
  /** `-----BEGIN OPENSSH PRIVATE KEY-----` (unencrypted), usable by ssh and git. */
  privateKey: string;
  /** `aa:bb:…` MD5 of the public key blob. */
  fingerprintMd5: string;
  /** `SHA256:…` unpadded base64 of the SHA-256 of the public key blob. */
  fingerprintSha256: string;
}

function sshString(buf: Buffer | string): Buffer {
  const b = typeof buf === 'string' ? Buffer.from(buf, 'utf8') : buf;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

export function fingerprints(publicBlob: Buffer): { md5: string; sha256: string } {
  const md5 = crypto.createHash('md5').update(publicBlob).digest('hex').match(/../g)!.join(':');
  const sha256 = 'SHA256:' + crypto.createHash('sha256').update(publicBlob).digest('base64').replace(/=+$/, '');
  return { md5, sha256 };
}

export function generateSshKeyPair(comment = 'circlet'): SshKeyPair {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const pubRaw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const type = 'ssh-ed25519';
  const publicBlob = Buffer.concat([sshString(type), sshString(pubRaw)]);

  const check = crypto.randomBytes(4).readUInt32BE();
  let privSection = Buffer.concat([
    uint32(check),
    uint32(check),
    sshString(type),
    sshString(pubRaw),
    sshString(Buffer.concat([seed, pubRaw])),
    sshString(comment),
  ]);
  const pad: number[] = [];
  for (let i = 1; (privSection.length + pad.length) % 8 !== 0; i++) pad.push(i);
  privSection = Buffer.concat([privSection, Buffer.from(pad)]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'binary'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(privSection),
  ]);
  const b64 = body.toString('base64').match(/.{1,70}/g)!.join('\n');
  const fp = fingerprints(publicBlob);
  return {
    publicKey: `${type} ${publicBlob.toString('base64')} ${comment}`,
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`,
    fingerprintMd5: fp.md5,
    fingerprintSha256: fp.sha256,
  };
}
