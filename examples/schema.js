// The example service's secrets, as a convict schema: each top-level property is one secret (a file in the mount).
module.exports = {
  DB_PASSWORD: { doc: 'Postgres password', format: 'secret-utf8', default: null, sensitive: true, minBytes: 12 },
  JWT_SIGNING_KEY: { doc: 'HS256 key, hex', format: 'secret-hex', default: null, sensitive: true, minBytes: 64 },
  STRIPE_API_KEY: { doc: 'Stripe secret key', format: String, default: null, sensitive: true },
  SMTP_PORT: { doc: 'SMTP port (not secret, validated as a port)', format: 'port', default: 587 },
};
