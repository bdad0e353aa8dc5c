'use strict';
// One JSON secret `db-credentials` = {"username": "...", "password": "..."}, split into two names.
module.exports = {
  DB_USER: { format: String, default: null, from: 'db-credentials', jsonKey: 'username' },
  DB_PASSWORD: { format: 'secret-utf8', default: null, sensitive: true, from: 'db-credentials', jsonKey: 'password' },
};
