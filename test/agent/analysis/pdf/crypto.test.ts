// Encryption primitives: RC4 against published vectors, AES-CBC with a leading IV, and the
// revision 6 hash being deterministic and 32 bytes.
import t from 'tap';
import { createCipheriv, randomBytes } from 'node:crypto';
import { aesDecrypt, hash2B, rc4 } from '../../../../agent/analysis/pdf/crypto.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

t.test('RC4 known-answer vectors', async (t) => {
  t.equal(hex(rc4(Buffer.from('Key'), Buffer.from('Plaintext'))), 'BBF316E8D940AF0AD3');
  t.equal(hex(rc4(Buffer.from('Wiki'), Buffer.from('pedia'))), '1021BF0420');
  t.equal(hex(rc4(Buffer.from('Secret'), Buffer.from('Attack at dawn'))), '45A01F645FC35B383552544B9BF5');
  const round = rc4(Buffer.from('k'), rc4(Buffer.from('k'), Buffer.from('round trip')));
  t.equal(Buffer.from(round).toString(), 'round trip');
});

t.test('AES-128 and AES-256 CBC with the IV in front', async (t) => {
  for (const bits of [128, 256]) {
    const key = randomBytes(bits / 8);
    const iv = randomBytes(16);
    const c = createCipheriv(`aes-${bits}-cbc`, key, iv);
    const enc = Buffer.concat([iv, c.update('0 0 1 rg 0 0 10 10 re f'), c.final()]);
    t.equal(Buffer.from(aesDecrypt(key, enc)).toString(), '0 0 1 rg 0 0 10 10 re f', `AES-${bits}`);
  }
  t.equal(aesDecrypt(randomBytes(16), Buffer.alloc(10)).length, 0, 'shorter than IV + block: nothing');
});

t.test('revision 6 hash', async (t) => {
  const salt = Buffer.from('01234567');
  const a = hash2B(new Uint8Array(0), salt, new Uint8Array(0));
  t.equal(a.length, 32);
  t.same(a, hash2B(new Uint8Array(0), salt, new Uint8Array(0)));
  t.notSame(a, hash2B(new Uint8Array(0), Buffer.from('76543210'), new Uint8Array(0)));
});
