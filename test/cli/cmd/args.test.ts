// The `printgate cmd` argument parser: negative amounts are values, options anywhere.
import t from 'tap';
import { parseCmdArgs, optionsHelp } from '../../../cli/cmd/args.ts';
import { UsageError } from '../../../cli/usage.ts';
import { checkArgs, createOutput, parseBool, parseCount } from '../../../cli/cmd/types.ts';

const SPECS = { json: { type: 'boolean', help: 'json' }, server: { type: 'string', value: 'URL', help: 'server' } } as const;

t.test('negative amounts are positional values, not options', async (t) => {
  const r = parseCmdArgs(['bob', '-1.50', 'refund', '--json'], SPECS);
  t.same(r.positionals, ['bob', '-1.50', 'refund']);
  t.equal(r.options.json, true);
  t.same(parseCmdArgs(['-5'], SPECS).positionals, ['-5']);
});

t.test('string options take the next argument or =value; -- ends options', async (t) => {
  t.equal(parseCmdArgs(['--server', 'http://x'], SPECS).options.server, 'http://x');
  t.equal(parseCmdArgs(['--server=http://y'], SPECS).options.server, 'http://y');
  t.same(parseCmdArgs(['--', '--json', '-x'], SPECS).positionals, ['--json', '-x']);
  t.equal(parseCmdArgs(['-h'], SPECS).options.help, true);
  t.equal(parseCmdArgs(['--help'], SPECS).options.help, true);
});

t.test('mistakes are usage errors', async (t) => {
  t.throws(() => parseCmdArgs(['--nope'], SPECS), UsageError);
  t.throws(() => parseCmdArgs(['-x'], SPECS), UsageError);
  t.throws(() => parseCmdArgs(['--server'], SPECS), UsageError);
  t.throws(() => parseCmdArgs(['--server', '--json'], SPECS), UsageError);
  t.throws(() => parseCmdArgs(['--json=1'], SPECS), UsageError);
});

t.test('argument counts, booleans, counts', async (t) => {
  const def = { name: 'x', args: ['USER', 'AMOUNT', '[COMMENT]'], summary: '', run: async () => {} };
  t.doesNotThrow(() => checkArgs(def, ['a', '1']));
  t.doesNotThrow(() => checkArgs(def, ['a', '1', 'c']));
  t.throws(() => checkArgs(def, ['a']), { message: 'missing AMOUNT' });
  t.throws(() => checkArgs(def, ['a', '1', 'c', 'd']), { message: 'unexpected argument "d"' });
  t.equal(parseBool('Yes', 'x'), true);
  t.equal(parseBool('0', 'x'), false);
  t.throws(() => parseBool('maybe', 'x'), UsageError);
  t.equal(parseCount(undefined, 'n', 7), 7);
  t.equal(parseCount('12', 'n', 7), 12);
  t.throws(() => parseCount('0', 'n', 7), UsageError);
  t.throws(() => parseCount('-3', 'n', 7), UsageError);
  t.match(optionsHelp(SPECS).join('\n'), /--server URL {2}server/);
});

t.test('list rows are tab-separated with tabs and newlines in values flattened', async (t) => {
  let text = '';
  const out = createOutput(false, (s) => (text += s));
  out.row(['alice', '4.70', null, 'line\tone\ntwo']);
  t.equal(text, 'alice\t4.70\t\tline one two\n');
});
