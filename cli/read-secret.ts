// Read a password for a command: on a terminal, prompt on stderr without echo; otherwise
// read the first line of standard input (so scripts can pipe it in). Never from an
// argument or an environment variable the command line would show.

import { UsageError } from './usage.ts';

const MAX = 1024;

export async function readSecret(prompt: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  if (input.isTTY) return promptHidden(prompt, input, output);
  let text = '';
  for await (const chunk of input) {
    text += String(chunk);
    const nl = text.indexOf('\n');
    if (nl >= 0) { text = text.slice(0, nl); break; }
    if (text.length > MAX + 2) break;
  }
  text = text.replace(/\r$/, '');
  if (text.length === 0) throw new UsageError('no password on standard input');
  if (text.length > MAX) throw new UsageError(`a password may have at most ${MAX} characters`);
  return text;
}

export function promptHidden(prompt: string, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    // Echo off before the prompt appears, so nothing typed after it is ever shown.
    input.setRawMode(true);
    output.write(prompt);
    input.resume();
    input.setEncoding('utf8');
    const done = (err: Error | null) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      output.write('\n');
      if (err) reject(err); else resolve(text);
    };
    const onData = (s: string) => {
      for (const c of s) {
        if (c === '\r' || c === '\n') return done(text ? null : new UsageError('no password given'));
        if (c === '\u0003') return done(new UsageError('interrupted'));
        if (c === '\u007f' || c === '\b') text = text.slice(0, -1);
        else if (text.length < MAX) text += c;
      }
    };
    input.on('data', onData);
  });
}
