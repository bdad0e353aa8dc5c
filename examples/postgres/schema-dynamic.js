'use strict';
// Dynamic credentials: the only secret the preload loads is the Vault token that may read database/creds/<role>.
module.exports = {
  VAULT_DB_TOKEN: { format: 'secret-utf8', default: null, sensitive: true },
};
