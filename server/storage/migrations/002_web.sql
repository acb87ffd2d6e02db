-- The web tools (server/web): log-in passwords of users and administrators (scrypt
-- strings from server/web/password.ts), sessions (only the SHA-256 of the session id is
-- stored, with its CSRF token and expiry), and top-up cards (only the SHA-256 of each
-- code; a card is redeemed by one conditional UPDATE in the same transaction as its
-- ledger row, so a code works once).

CREATE TABLE web_passwords (
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  hash TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (kind, name)
);

CREATE TABLE web_sessions (
  id_hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  csrf TEXT NOT NULL,
  address TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
CREATE INDEX web_sessions_owner ON web_sessions (kind, name);

CREATE TABLE card_batches (
  id {{id}},
  name TEXT NOT NULL,
  amount BIGINT NOT NULL,
  count INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE cards (
  code_hash TEXT PRIMARY KEY,
  batch_id BIGINT NOT NULL REFERENCES card_batches (id),
  redeemed_by TEXT,
  redeemed_at BIGINT,
  transaction_id BIGINT
);
CREATE INDEX cards_batch ON cards (batch_id);
