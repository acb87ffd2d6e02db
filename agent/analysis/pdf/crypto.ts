// The standard security handler, for the empty user password only: derive the file key
// (revisions 2-4: MD5 + RC4; 5-6: SHA-256/384/512 + AES-256), check it against /U, and
// decrypt strings and streams per object (RC4 40-128 bits, AESV2 = AES-128-CBC, AESV3 =
// AES-256-CBC). Node's OpenSSL 3 has no RC4 in its default provider, so RC4 is written
// here. A file whose user password is not empty cannot be decrypted: `openStandard`
// returns undefined and the caller counts pages from what is not encrypted.

import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { AnalysisError } from '../errors.ts';
import { dictOf, nameOf, numOf, PdfString, type PdfDict, type PdfObj } from './objects.ts';

const PAD = Uint8Array.from([
  0x28, 0xbf, 0x4e, 0x5e, 0x4e, 0x75, 0x8a, 0x41, 0x64, 0x00, 0x4e, 0x56, 0xff, 0xfa, 0x01, 0x08,
  0x2e, 0x2e, 0x00, 0xb6, 0xd0, 0x68, 0x3e, 0x80, 0x2f, 0x0c, 0xa9, 0xfe, 0x64, 0x53, 0x69, 0x7a,
]);

/** RC4 keystream applied to data (encryption and decryption are the same). */
export function rc4(key: Uint8Array, data: Uint8Array): Uint8Array {
  const s = new Uint8Array(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 0xff;
    const t = s[i]!; s[i] = s[j]!; s[j] = t;
  }
  const out = new Uint8Array(data.length);
  for (let k = 0, i = 0, j = 0; k < data.length; k++) {
    i = (i + 1) & 0xff;
    j = (j + s[i]!) & 0xff;
    const t = s[i]!; s[i] = s[j]!; s[j] = t;
    out[k] = data[k]! ^ s[(s[i]! + s[j]!) & 0xff]!;
  }
  return out;
}

function md5(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** AES-CBC decryption with the IV in the first 16 bytes (PDF's AESV2/AESV3 layout). */
export function aesDecrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length < 32) return new Uint8Array(0); // IV plus at least one block
  const iv = data.subarray(0, 16);
  const body = data.subarray(16, 16 + ((data.length - 16) & ~15));
  const algo = key.length === 32 ? 'aes-256-cbc' : 'aes-128-cbc';
  try {
    const d = createDecipheriv(algo, key, iv);
    return new Uint8Array(Buffer.concat([d.update(body), d.final()]));
  } catch {
    // Bad padding (damaged or sloppy writer): take the blocks without removing padding.
    const d = createDecipheriv(algo, key, iv);
    d.setAutoPadding(false);
    return new Uint8Array(Buffer.concat([d.update(body), d.final()]));
  }
}

type Method = 'none' | 'rc4' | 'aes';

export interface Decryptor {
  decryptString(data: Uint8Array, num: number, gen: number): Uint8Array;
  decryptStream(data: Uint8Array, num: number, gen: number): Uint8Array;
  /** A description for warnings: "RC4 128-bit" etc. */
  readonly label: string;
}

function bytesOf(o: PdfObj | undefined): Uint8Array {
  return o instanceof PdfString ? o.bytes : new Uint8Array(0);
}

function cfMethod(enc: PdfDict, which: 'StmF' | 'StrF'): Method {
  const name = nameOf(enc.get(which)) ?? 'Identity';
  if (name === 'Identity') return 'none';
  const cf = dictOf(dictOf(enc.get('CF'))?.get(name));
  const cfm = nameOf(cf?.get('CFM')) ?? 'None';
  if (cfm === 'V2') return 'rc4';
  if (cfm === 'AESV2' || cfm === 'AESV3') return 'aes';
  return 'none';
}

/**
 * Open the standard security handler with the empty user password. Returns undefined
 * when the user password is not empty (the caller then works without decryption).
 * Throws ANALYSIS_UNSUPPORTED for other handlers (public key, custom).
 */
export function openStandard(enc: PdfDict, id0: Uint8Array, offset: number): Decryptor | undefined {
  const filter = nameOf(enc.get('Filter'));
  if (filter !== 'Standard') {
    throw new AnalysisError('ANALYSIS_ENCRYPTED', `unsupported security handler /${filter ?? '?'}`, offset);
  }
  const v = numOf(enc.get('V')) ?? 0;
  const r = numOf(enc.get('R')) ?? 2;
  const o = bytesOf(enc.get('O'));
  const u = bytesOf(enc.get('U'));
  if (r >= 5) return openAes256(enc, r, u, offset);
  if (o.length < 32 || u.length < 16) throw new AnalysisError('ANALYSIS_MALFORMED', 'encryption dictionary lacks /O or /U', offset);
  const p = numOf(enc.get('P')) ?? 0;
  const keyLen = r === 2 ? 5 : Math.max(5, Math.min(16, Math.floor((numOf(enc.get('Length')) ?? 40) / 8)));
  const encryptMeta = enc.get('EncryptMetadata') !== false;
  // Algorithm 2: the file key from the (empty, hence all-padding) password.
  const pBytes = new Uint8Array(4);
  new DataView(pBytes.buffer).setInt32(0, p | 0, true);
  const parts = [PAD, o.subarray(0, 32), pBytes, id0];
  if (r >= 4 && !encryptMeta) parts.push(Uint8Array.from([0xff, 0xff, 0xff, 0xff]));
  let key = md5(...parts).subarray(0, keyLen);
  if (r >= 3) for (let i = 0; i < 50; i++) key = md5(key).subarray(0, keyLen);
  // Algorithms 4/5: does this key reproduce /U? If not, the user password is not empty.
  let ok: boolean;
  if (r === 2) {
    ok = equal(rc4(key, PAD), u.subarray(0, 32));
  } else {
    let x = rc4(key, md5(PAD, id0));
    for (let i = 1; i <= 19; i++) x = rc4(key.map((b) => b ^ i), x);
    ok = equal(x, u.subarray(0, 16));
  }
  if (!ok) return undefined;
  const stm: Method = v >= 4 ? cfMethod(enc, 'StmF') : 'rc4';
  const str: Method = v >= 4 ? cfMethod(enc, 'StrF') : 'rc4';
  const objectKey = (num: number, gen: number, aes: boolean): Uint8Array => {
    const extra = Uint8Array.from([num & 0xff, (num >> 8) & 0xff, (num >> 16) & 0xff, gen & 0xff, (gen >> 8) & 0xff]);
    const salt = aes ? Uint8Array.from([0x73, 0x41, 0x6c, 0x54]) : new Uint8Array(0);
    return md5(key, extra, salt).subarray(0, Math.min(16, keyLen + 5));
  };
  const run = (m: Method, data: Uint8Array, num: number, gen: number): Uint8Array =>
    m === 'none' ? data : m === 'rc4' ? rc4(objectKey(num, gen, false), data) : aesDecrypt(objectKey(num, gen, true), data);
  const label = stm === 'aes' ? 'AES-128' : `RC4 ${keyLen * 8}-bit`;
  return {
    label,
    decryptString: (d, n, g) => run(str, d, n, g),
    decryptStream: (d, n, g) => run(stm, d, n, g),
  };
}

function openAes256(enc: PdfDict, r: number, u: Uint8Array, offset: number): Decryptor | undefined {
  const ue = bytesOf(enc.get('UE'));
  if (u.length < 48 || ue.length < 32) throw new AnalysisError('ANALYSIS_MALFORMED', 'AES-256 encryption dictionary lacks /U or /UE', offset);
  const empty = new Uint8Array(0);
  const hash = (salt: Uint8Array) => (r === 5 ? sha('sha256', empty, salt) : hash2B(empty, salt, empty));
  if (!equal(hash(u.subarray(32, 40)), u.subarray(0, 32))) return undefined;
  const inter = hash(u.subarray(40, 48));
  const d = createDecipheriv('aes-256-cbc', inter, new Uint8Array(16));
  d.setAutoPadding(false);
  const key = new Uint8Array(Buffer.concat([d.update(ue.subarray(0, 32)), d.final()]));
  const stm = cfMethod(enc, 'StmF');
  const str = cfMethod(enc, 'StrF');
  const run = (m: Method, data: Uint8Array) => (m === 'none' ? data : aesDecrypt(key, data));
  return {
    label: 'AES-256',
    decryptString: (data) => run(str, data),
    decryptStream: (data) => run(stm, data),
  };
}

function sha(algo: string, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(algo);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** ISO 32000-2 algorithm 2.B (revision 6 hash). */
export function hash2B(password: Uint8Array, salt: Uint8Array, udata: Uint8Array): Uint8Array {
  let k = sha('sha256', password, salt, udata);
  for (let i = 0; ; i++) {
    const one = new Uint8Array(password.length + k.length + udata.length);
    one.set(password, 0); one.set(k, password.length); one.set(udata, password.length + k.length);
    const k1 = new Uint8Array(one.length * 64);
    for (let j = 0; j < 64; j++) k1.set(one, j * one.length);
    // AES-128-CBC encryption (not decryption) with the first half of K as key, second as IV.
    const e = aesCbcEncrypt(k.subarray(0, 16), k.subarray(16, 32), k1);
    let sum = 0;
    for (let j = 0; j < 16; j++) sum += e[j]!;
    const algo = ['sha256', 'sha384', 'sha512'][sum % 3]!;
    k = sha(algo, e);
    if (i >= 63 && e[e.length - 1]! <= i - 32) break;
    if (i > 1000) break; // cannot happen for valid data; a bound all the same
  }
  return k.subarray(0, 32);
}

function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-128-cbc', key, iv);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
