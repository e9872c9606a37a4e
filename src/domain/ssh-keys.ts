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

/** Why a private key handed in (v1.1 `POST …/ssh-key`) cannot be used. */
export class BadPrivateKey extends Error {}

function readString(buf: Buffer, at: number): { value: Buffer; next: number } {
  if (at + 4 > buf.length) throw new BadPrivateKey('truncated OpenSSH key');
  const len = buf.readUInt32BE(at);
  if (at + 4 + len > buf.length) throw new BadPrivateKey('truncated OpenSSH key');
  return { value: buf.subarray(at + 4, at + 4 + len), next: at + 4 + len };
}

/** An SSH multiple-precision integer from big-endian unsigned bytes. */
function mpint(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0) b = b.subarray(1);
  return sshString(b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

const CURVES: Record<string, string> = { 'P-256': 'nistp256', 'P-384': 'nistp384', 'P-521': 'nistp521' };

/** The SSH public-key blob of a PEM private key (PKCS#1, SEC1 or PKCS#8), through node's JWK export. */
function blobOfPem(pem: string): Buffer {
  // An empty passphrase makes an encrypted key fail to open instead of prompting.
  if (/^Proc-Type: 4,ENCRYPTED$/m.test(pem) || pem.includes('BEGIN ENCRYPTED PRIVATE KEY')) throw new BadPrivateKey('passphrase-protected keys are not supported');
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey({ key: pem, format: 'pem', passphrase: '' });
  } catch {
    throw new BadPrivateKey('not a PEM or OpenSSH private key');
  }
  const jwk = crypto.createPublicKey(key).export({ format: 'jwk' });
  const b = (s: string | undefined) => Buffer.from(s ?? '', 'base64url');
  if (jwk.kty === 'RSA') return Buffer.concat([sshString('ssh-rsa'), mpint(b(jwk.e)), mpint(b(jwk.n))]);
  if (jwk.kty === 'EC' && jwk.crv && CURVES[jwk.crv]) {
    const curve = CURVES[jwk.crv]!;
    return Buffer.concat([sshString(`ecdsa-sha2-${curve}`), sshString(curve), sshString(Buffer.concat([Buffer.from([4]), b(jwk.x), b(jwk.y)]))]);
  }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return Buffer.concat([sshString('ssh-ed25519'), sshString(b(jwk.x))]);
  throw new BadPrivateKey(`unsupported key type ${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ''}`);
}

/** The public-key blob recorded in an `openssh-key-v1` container (its header carries it in the clear). */
function blobOfOpenSsh(text: string): Buffer {
  const b64 = text.replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, '').replace(/\s+/g, '');
  const buf = Buffer.from(b64, 'base64');
  const magic = 'openssh-key-v1\0';
  if (buf.subarray(0, magic.length).toString('binary') !== magic) throw new BadPrivateKey('not an OpenSSH private key');
  const cipher = readString(buf, magic.length);
  if (cipher.value.toString() !== 'none') throw new BadPrivateKey('passphrase-protected keys are not supported');
  const kdf = readString(buf, cipher.next);
  const kdfOptions = readString(buf, kdf.next);
  if (kdfOptions.next + 4 > buf.length || buf.readUInt32BE(kdfOptions.next) !== 1) throw new BadPrivateKey('an OpenSSH key file must hold exactly one key');
  return readString(buf, kdfOptions.next + 4).value;
}

/** The MD5 and SHA-256 fingerprints of a private key's public half; throws BadPrivateKey. */
export function privateKeyFingerprints(privateKey: string): { md5: string; sha256: string } {
  const text = privateKey.trim();
  const blob = text.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----') ? blobOfOpenSsh(text) : blobOfPem(text);
  return fingerprints(blob);
}
