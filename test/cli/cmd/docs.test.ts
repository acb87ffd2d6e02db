// docs/cli.md documents every `printgate cmd` sub-command (a new one fails this test until
// it has its row with an example).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUB_COMMANDS } from '../../../cli/cmd/cli.ts';

const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'cli.md'), 'utf8');

t.test('every sub-command has a row with an example in docs/cli.md', async (t) => {
  for (const c of SUB_COMMANDS) {
    t.match(doc, new RegExp(`^\\| \`${c.name}[ \`].*\\| \`printgate cmd ${c.name}[ \`]`, 'm'), c.name);
  }
});

t.test('sub-command names are unique', async (t) => {
  const names = SUB_COMMANDS.map((c) => c.name);
  t.equal(new Set(names).size, names.length);
});
