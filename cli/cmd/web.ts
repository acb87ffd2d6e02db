// `printgate cmd` sub-commands for the web tools' log-ins: set a user's or the
// administrator's web password. The password is read from standard input (a prompt
// without echo on a terminal), never from the command line.

import { readSecret } from '../read-secret.ts';
import { seg } from './admin-client.ts';
import type { CmdDef } from './types.ts';

export const WEB_COMMANDS: CmdDef[] = [
  {
    name: 'set-user-password',
    args: ['USER'],
    summary: 'set the web/client password of a user (read from standard input)',
    async run(ctx, [name]) {
      const password = await readSecret(`New password for ${name}: `);
      await ctx.api.put(`users/${seg(name!)}/password`, { password });
    },
  },
  {
    name: 'set-admin-password',
    args: [],
    summary: 'set the admin pages\' password (read from standard input)',
    async run(ctx) {
      const password = await readSecret('New admin password: ');
      await ctx.api.put('admin-password', { password });
    },
  },
];
