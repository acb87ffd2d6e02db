// Streaming zlib inflate for image data (PNG IDAT, TIFF Deflate strips) with a bounded
// output: compressed pieces go in, decompressed pieces come out to a consumer that may stop
// early (colour found). Output beyond `maxOutput` bytes is an error, so a zip bomb costs
// nothing but the bytes we asked for.

import { createInflate } from 'node:zlib';
import { AnalysisError } from '../errors.ts';

/**
 * Inflate the pieces yielded by `input`, handing each decompressed piece to `consume`, which
 * returns true to stop. `where()` names the file offset for errors. Resolves when the
 * stream ended, the consumer stopped, or `maxOutput` was reached (then it rejects).
 */
export async function inflatePieces(
  input: AsyncIterable<Uint8Array>,
  consume: (piece: Uint8Array) => boolean,
  maxOutput: number,
  where: () => number,
): Promise<void> {
  const inflate = createInflate({ chunkSize: 64 * 1024 });
  let produced = 0;
  let stopped = false;
  let failure: unknown = null;
  const feeding = (async () => {
    try {
      for await (const piece of input) {
        if (stopped || failure) break;
        if (!inflate.write(piece)) {
          await new Promise<void>((resolve) => {
            inflate.once('drain', resolve);
            inflate.once('close', resolve); // destroyed because the consumer stopped
          });
        }
      }
      if (!stopped) inflate.end();
    } catch (err) {
      failure = err;
      inflate.destroy();
    }
  })();
  try {
    for await (const out of inflate as AsyncIterable<Buffer>) {
      produced += out.length;
      if (produced > maxOutput) throw new AnalysisError('ANALYSIS_LIMIT', `decompressed image data exceeds ${maxOutput} bytes`, where());
      if (consume(out)) {
        stopped = true;
        break;
      }
    }
  } catch (err) {
    if (err instanceof AnalysisError) throw err;
    if (failure) throw failure;
    const message = (err as Error).message;
    if (/unexpected end/i.test(message)) throw new AnalysisError('ANALYSIS_TRUNCATED', 'compressed image data ends early', where());
    throw new AnalysisError('ANALYSIS_MALFORMED', `bad compressed image data: ${message}`, where());
  } finally {
    stopped = true;
    inflate.destroy();
    await feeding.catch(() => {});
  }
  if (failure) throw failure;
}
