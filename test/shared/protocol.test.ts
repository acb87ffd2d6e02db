// The generated protocol code round-trips, and money fields keep their integer values.
import t from 'tap';
import { pb } from '../../shared/protocol/index.ts';

t.test('AuthorizeResponse round trips through the wire format', async (t) => {
  const msg = pb.AuthorizeResponse.create({ decision: pb.Decision.ALLOW, jobId: 'j1', cost: -1234567, forceGrayscale: true });
  const bytes = pb.AuthorizeResponse.encode(msg).finish();
  const back = pb.AuthorizeResponse.decode(bytes);
  t.equal(back.decision, pb.Decision.ALLOW);
  t.equal(back.cost, -1234567);
  t.equal(back.forceGrayscale, true);
  t.equal(back.jobId, 'j1');
});

t.test('decoding garbage throws instead of returning half a message', async (t) => {
  t.throws(() => pb.AuthorizeRequest.decode(new Uint8Array([0x0a, 0xff, 0xff, 0xff])));
});
