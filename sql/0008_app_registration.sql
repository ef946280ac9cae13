-- The GitHub App registered through the setup page (GitHub's manifest
-- flow), shared by every serve and worker host on this database. Its
-- secrets (client secret, private key, webhook secret) are one AES-256-GCM
-- sealed JSON document: 12-byte nonce || ciphertext || 16-byte tag, under
-- the server's key (BOTTEGA_SECRET_KEY, or <data_dir>/secret.key).
CREATE TABLE app_registration (
  id         integer PRIMARY KEY CHECK (id = 1),  -- at most one App
  app_id     bigint NOT NULL,
  slug       text NOT NULL,
  client_id  text NOT NULL,
  owner      text NOT NULL DEFAULT '',
  html_url   text NOT NULL DEFAULT '',
  secrets    bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The setup page's one-time tokens (only their SHA-256 is kept), and the
-- `state` values the page handed to GitHub with a manifest, checked when
-- GitHub sends the person back.
CREATE TABLE setup_tokens (
  token_sha256 bytea PRIMARY KEY,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE setup_states (
  state        text PRIMARY KEY,
  token_sha256 bytea NOT NULL REFERENCES setup_tokens ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now()
);
