// Reading /F out of annotation dictionaries without parsing them: the plain forms give
// the number or "absent"; everything else says "parse it" (undefined), never a guess.
import t from 'tap';
import { dictInteger, objectHeader } from '../../../../agent/analysis/pdf/skim.ts';

const b = (s: string) => Buffer.from(s, 'latin1');
const F = (s: string) => dictInteger(b(s), 0, 'F');

t.test('plain values', async (t) => {
  t.equal(F('<< /Type /Annot /Subtype /Link /F 4 /Rect [1 2 3 4] >>'), 4);
  t.equal(F('<</F 0>>'), 0);
  t.equal(F('<< /Type /Annot /Border [0 0 0] /A << /S /URI /URI (http://x/\\)(a)) /F 7 >> /C [1 0 0] >>'), null, 'an /F inside a nested dictionary is not the annotation\'s');
  t.equal(F('<< /F 2 /Rect [0 0 1 1] /F 6 >>'), 6, 'the last duplicate wins, as in the parser');
  t.equal(F('<< /Parent 12 0 R /P 5 0 R /Flag 3 /Ft /Tx /T <FEFF0041> /V true /Opt null /Ff false >>'), null);
  t.equal(F('  % comment\n<< /F 4 >>'), 4);
});

t.test('anything not plain: undefined', async (t) => {
  t.equal(F('<< /F 9 0 R >>'), undefined, 'a reference');
  t.equal(F('<< /F 4.0 >>'), undefined, 'not an integer');
  t.equal(F('<< /F -4 >>'), undefined);
  t.equal(F('<< /F /Name >>'), undefined);
  t.equal(F('<< /#46 4 >>'), undefined, 'escaped key');
  t.equal(F('<< /F >>'), undefined, 'key without a value');
  t.equal(F('<< /Rect [1 2 3 4] /F 4'), undefined, 'cut short');
  t.equal(F('<< /A [ % ] \n ] /F 4 >>'), undefined, 'a comment inside a value');
  t.equal(F('[ /F 4 ]'), undefined, 'not a dictionary');
  t.equal(F('<< /A bogus /F 4 >>'), undefined, 'a keyword where a value should be');
  t.equal(F(`<< /A ${'['.repeat(40)}${']'.repeat(40)} /F 4 >>`), undefined, 'nested deeper than the skim reads');
});

t.test('object header', async (t) => {
  const d = b('12 0 obj\n<< /F 4 >>\nendobj');
  const at = objectHeader(d, 0, 12);
  t.equal(at, 8);
  t.equal(dictInteger(d, at, 'F'), 4);
  t.equal(objectHeader(d, 0, 13), -1, 'another object');
  t.equal(objectHeader(b('12 0 objx'), 0, 12), -1);
});
