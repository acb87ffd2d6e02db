-- printgate schema, version 1. Shared by SQLite and PostgreSQL: {{id}} becomes the
-- engine's integer primary key (SQLite: the rowid; ids of deleted rows are only ever old
-- ones), {{serial}} one that never reuses an id (SQLite AUTOINCREMENT), {{without_rowid}}
-- marks SQLite tables clustered on their primary key. Times are epoch milliseconds (BIGINT), flags are
-- INTEGER 0/1, money is BIGINT minor units, structured settings are JSON text.

CREATE TABLE agents (
  id {{id}},
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  hostname TEXT NOT NULL DEFAULT '',
  version TEXT NOT NULL DEFAULT '',
  platform TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  last_contact_at BIGINT,
  deleted_at BIGINT
);
CREATE UNIQUE INDEX agents_name ON agents (name) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX agents_token ON agents (token_hash);

CREATE TABLE users (
  id {{id}},
  name TEXT NOT NULL,
  full_name TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  restricted INTEGER NOT NULL DEFAULT 1,
  billing_mode TEXT,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  deleted_at BIGINT
);
CREATE UNIQUE INDEX users_name ON users (name) WHERE deleted_at IS NULL;

CREATE TABLE user_groups (
  id {{id}},
  name TEXT NOT NULL UNIQUE,
  billing_mode TEXT,
  restrictions TEXT NOT NULL DEFAULT '{}',
  created_at BIGINT NOT NULL
);

CREATE TABLE group_members (
  group_id BIGINT NOT NULL REFERENCES user_groups (id),
  user_id BIGINT NOT NULL REFERENCES users (id),
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE group_quotas (
  group_id BIGINT PRIMARY KEY REFERENCES user_groups (id),
  amount BIGINT NOT NULL,
  period TEXT NOT NULL,
  max_accumulation BIGINT NOT NULL
);

-- One row per (group, user, period) credited: inserted in the same transaction as the
-- quota's ledger row, so a period is applied exactly once whatever runs the scheduler.
CREATE TABLE quota_runs (
  group_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  period_key TEXT NOT NULL,
  amount BIGINT NOT NULL,
  applied_at BIGINT NOT NULL,
  PRIMARY KEY (group_id, user_id, period_key)
);

-- Personal accounts (kind 'personal', owned by a user, several per user, one default) and
-- shared accounts (kind 'shared', named globally). balance always equals the sum of the
-- account's transactions; reserved is the sum of its authorized jobs' reservations.
CREATE TABLE accounts (
  id {{id}},
  kind TEXT NOT NULL,
  user_id BIGINT REFERENCES users (id),
  name TEXT NOT NULL,
  balance BIGINT NOT NULL DEFAULT 0,
  reserved BIGINT NOT NULL DEFAULT 0,
  overdraft BIGINT NOT NULL DEFAULT 0,
  restricted INTEGER NOT NULL DEFAULT 1,
  is_default INTEGER NOT NULL DEFAULT 0,
  pin_hash TEXT,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  deleted_at BIGINT
);
CREATE UNIQUE INDEX accounts_personal ON accounts (user_id, name) WHERE kind = 'personal';
CREATE UNIQUE INDEX accounts_shared ON accounts (name) WHERE kind = 'shared' AND deleted_at IS NULL;

CREATE TABLE account_access (
  account_id BIGINT NOT NULL REFERENCES accounts (id),
  user_id BIGINT NOT NULL DEFAULT 0,
  group_id BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, user_id, group_id)
);
CREATE INDEX account_access_user ON account_access (user_id);
CREATE INDEX account_access_group ON account_access (group_id);

-- The append-only ledger.
CREATE TABLE transactions (
  id {{id}},
  account_id BIGINT NOT NULL REFERENCES accounts (id),
  amount BIGINT NOT NULL,
  balance_after BIGINT NOT NULL,
  kind TEXT NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL DEFAULT '',
  job_id BIGINT,
  idempotency_key TEXT,
  created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX transactions_key ON transactions (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX transactions_account ON transactions (account_id, id);
CREATE INDEX transactions_job ON transactions (job_id) WHERE job_id IS NOT NULL;

CREATE TABLE printers (
  id {{id}},
  agent_id BIGINT NOT NULL REFERENCES agents (id),
  queue TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 1,
  cost_model TEXT NOT NULL,
  restrictions TEXT NOT NULL DEFAULT '{}',
  failure_mode TEXT NOT NULL DEFAULT 'ALLOW_AND_LOG_LATER',
  release_required INTEGER NOT NULL DEFAULT 0,
  confirm_required INTEGER NOT NULL DEFAULT 0,
  claim_required INTEGER NOT NULL DEFAULT 0,
  watermark INTEGER NOT NULL DEFAULT 0,
  watermark_template TEXT NOT NULL DEFAULT '',
  watermark_required INTEGER NOT NULL DEFAULT 0,
  first_seen_at BIGINT NOT NULL,
  UNIQUE (agent_id, queue)
);
CREATE INDEX printers_queue ON printers (queue);

-- The job log. user_name keeps the name a job arrived with (also for unknown users).
CREATE TABLE jobs (
  id {{id}},
  user_id BIGINT,
  user_name TEXT NOT NULL,
  account_id BIGINT,
  printer_id BIGINT NOT NULL,
  agent_id BIGINT NOT NULL,
  host TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL DEFAULT '',
  spooler_job_id TEXT NOT NULL DEFAULT '',
  pages INTEGER,
  color_pages INTEGER,
  copies INTEGER NOT NULL DEFAULT 1,
  duplex INTEGER NOT NULL DEFAULT 0,
  grayscale INTEGER NOT NULL DEFAULT 0,
  media TEXT NOT NULL DEFAULT '',
  impressions INTEGER NOT NULL DEFAULT 0,
  color_impressions INTEGER NOT NULL DEFAULT 0,
  sheets INTEGER NOT NULL DEFAULT 0,
  cost BIGINT NOT NULL DEFAULT 0,
  reserved BIGINT NOT NULL DEFAULT 0,
  refunded BIGINT NOT NULL DEFAULT 0,
  decision TEXT NOT NULL,
  reason_code TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  hold_kind TEXT,
  hold_expires_at BIGINT,
  force_grayscale INTEGER NOT NULL DEFAULT 0,
  force_duplex INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  method TEXT NOT NULL DEFAULT '',
  offline INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  completed_at BIGINT,
  -- The job row is also the stored answer of the agent's idempotent calls: authorize by
  -- (agent_id, idem_key) with the request's hash, complete by complete_key.
  idem_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  quoted_cost BIGINT NOT NULL DEFAULT 0,
  balance_after BIGINT NOT NULL DEFAULT 0,
  complete_key TEXT,
  complete_hash TEXT
);
CREATE UNIQUE INDEX jobs_idem ON jobs (agent_id, idem_key);
CREATE INDEX jobs_user ON jobs (user_id, created_at, id);
CREATE INDEX jobs_printer ON jobs (printer_id, created_at, id);
CREATE INDEX jobs_created ON jobs (created_at, id);
CREATE INDEX jobs_held ON jobs (hold_expires_at) WHERE status = 'held';

-- Server -> agent events about held jobs, read by long-polling agents after a seq.
CREATE TABLE job_events (
  seq {{serial}},
  agent_id BIGINT NOT NULL,
  job_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX job_events_agent ON job_events (agent_id, seq);

CREATE TABLE config (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- Stored answers of idempotent admin requests (agents' are on their job rows).
CREATE TABLE idempotency (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  response TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (scope, key)
){{without_rowid}};
CREATE INDEX idempotency_created ON idempotency (created_at);

-- Bumped whenever printers, groups or settings change, so that every server process
-- refreshes its in-memory caches within a second.
CREATE TABLE cache_version (
  id INTEGER PRIMARY KEY,
  version BIGINT NOT NULL
);
INSERT INTO cache_version (id, version) VALUES (1, 1);
