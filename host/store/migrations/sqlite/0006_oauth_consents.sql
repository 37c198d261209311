-- Consents in progress (the authorization code grant started on the platform): the state's
-- hash, what the consent is for (an installation's configuration by its token key: credentials and scope),
-- who started it, and its PKCE verifier (sealed). Single use; expired rows are removed by the
-- next consent that starts or ends.
CREATE TABLE oauth_consents (
    state_hash TEXT PRIMARY KEY,
    installation_id TEXT NOT NULL REFERENCES installations(id) ON DELETE CASCADE,
    configuration TEXT NOT NULL,
    credential_key TEXT NOT NULL,
    user_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    verifier BLOB NOT NULL,
    expires_at INTEGER NOT NULL
);
