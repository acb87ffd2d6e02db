// The two CUPS operation policies printgate installs in cupsd.conf, and the pure text
// edits that add or remove them (no I/O here: attach.ts fetches and stores the file).
//
// - `printgate` is set on a managed (gate) queue: users submit as usual, their jobs wait
//   because the queue is stopped, and only @SYSTEM (root, i.e. the agent) may release,
//   hold, move, restart or change a job. Owners may still cancel their own job.
// - `printgate-release` is set on the hidden queue that really prints: only @SYSTEM may
//   put a job there (CUPS-Move-Job from the gate) or restart one (a restart would be a free
//   reprint). Owners may cancel their own job while it prints.
// The blocks sit between two marker comments so that detach can remove exactly what
// attach added, and an admin reading cupsd.conf sees who wrote them.

export const GATE_POLICY = 'printgate';
export const RELEASE_POLICY = 'printgate-release';
export const BEGIN_MARK = '# printgate: begin of the policies added by `printgate cups attach` (removed by the last `printgate cups detach`)';
export const END_MARK = '# printgate: end';

/** Job operations an owner may do under CUPS's default policy that would let a job past the gate. */
const GATED_JOB_OPS = 'Hold-Job Release-Job Restart-Job Reprocess-Job Purge-Jobs Set-Job-Attributes Resume-Job Suspend-Current-Job Cancel-Current-Job Promote-Job Schedule-Job-After CUPS-Move-Job';

const PRIVACY = `  JobPrivateAccess default
  JobPrivateValues default
  SubscriptionPrivateAccess default
  SubscriptionPrivateValues default`;

const ADMIN = `  <Limit CUPS-Get-Document>
    AuthType Default
    Require user @OWNER @SYSTEM
    Order deny,allow
  </Limit>
  <Limit CUPS-Add-Modify-Printer CUPS-Delete-Printer CUPS-Add-Modify-Class CUPS-Delete-Class CUPS-Set-Default CUPS-Get-Devices>
    AuthType Default
    Require user @SYSTEM
    Order deny,allow
  </Limit>
  <Limit Pause-Printer Resume-Printer Enable-Printer Disable-Printer Pause-Printer-After-Current-Job Hold-New-Jobs Release-Held-New-Jobs Deactivate-Printer Activate-Printer Restart-Printer Shutdown-Printer Startup-Printer Cancel-Jobs CUPS-Accept-Jobs CUPS-Reject-Jobs>
    AuthType Default
    Require user @SYSTEM
    Order deny,allow
  </Limit>
  <Limit Cancel-Job CUPS-Authenticate-Job>
    Require user @OWNER @SYSTEM
    Order deny,allow
  </Limit>
  <Limit All>
    Order deny,allow
  </Limit>`;

export const POLICY_BLOCK = `${BEGIN_MARK}
<Policy ${GATE_POLICY}>
${PRIVACY}
  # Anyone may submit: jobs wait in the stopped gate queue for printgate's decision.
  <Limit Create-Job Print-Job Print-URI Validate-Job>
    Order deny,allow
  </Limit>
  # Only printgate (an authenticated @SYSTEM user) may let a job go or change it.
  <Limit ${GATED_JOB_OPS}>
    AuthType Default
    Require user @SYSTEM
    Order deny,allow
  </Limit>
  <Limit Send-Document Send-URI Create-Job-Subscription Renew-Subscription Cancel-Subscription Get-Notifications Cancel-My-Jobs Close-Job>
    Require user @OWNER @SYSTEM
    Order deny,allow
  </Limit>
${ADMIN}
</Policy>
<Policy ${RELEASE_POLICY}>
${PRIVACY}
  # Nobody but printgate puts a job on the queue that prints, or reprints one.
  <Limit Create-Job Print-Job Print-URI Validate-Job Send-Document Send-URI ${GATED_JOB_OPS}>
    AuthType Default
    Require user @SYSTEM
    Order deny,allow
  </Limit>
  <Limit Create-Job-Subscription Renew-Subscription Cancel-Subscription Get-Notifications Cancel-My-Jobs Close-Job>
    Require user @OWNER @SYSTEM
    Order deny,allow
  </Limit>
${ADMIN}
</Policy>
${END_MARK}
`;

/** Whether cupsd.conf already defines a policy of this name (ours or an admin's). */
export function hasPolicy(conf: string, name: string): boolean {
  const re = new RegExp(`^\\s*<Policy\\s+${name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}\\s*>`, 'im');
  return re.test(conf);
}

/**
 * cupsd.conf with printgate's policies: unchanged when both are already defined; an
 * error when only one is (an admin's half edit that we must not guess about).
 */
export function withPolicies(conf: string): { conf: string; changed: boolean } {
  const gate = hasPolicy(conf, GATE_POLICY);
  const release = hasPolicy(conf, RELEASE_POLICY);
  if (gate && release) return { conf, changed: false };
  if (gate || release) throw new Error(`cupsd.conf defines only one of the policies ${GATE_POLICY} and ${RELEASE_POLICY}; fix it by hand`);
  const sep = conf.length === 0 || conf.endsWith('\n') ? '' : '\n';
  return { conf: `${conf}${sep}${POLICY_BLOCK}`, changed: true };
}

/** cupsd.conf without the block between printgate's markers (unchanged if absent). */
export function withoutPolicies(conf: string): { conf: string; changed: boolean } {
  const start = conf.indexOf(BEGIN_MARK);
  if (start < 0) return { conf, changed: false };
  const endAt = conf.indexOf(END_MARK, start);
  if (endAt < 0) throw new Error('cupsd.conf has the printgate begin marker but not its end marker; fix it by hand');
  let end = endAt + END_MARK.length;
  if (conf[end] === '\n') end++;
  return { conf: conf.slice(0, start) + conf.slice(end), changed: true };
}
