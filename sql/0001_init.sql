-- The first schema: settings the server keeps about itself (for example the
-- App credentials stored by the setup flow). schema_migrations is created by
-- the migrator itself.
CREATE TABLE app_settings (
  key        text PRIMARY KEY,
  value      text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
