'use strict';
// The function of the Lambda recipe (docs/lambda.md): secrets loaded at init by the preload, read per invocation.
const { config, secrets } = require('@valuecanvas/secrets');

module.exports.handler = async (event) => {
  if (event.reload) await secrets.reload();
  return {
    loaded: secrets.isLoaded,
    version: secrets.version('DB_PASSWORD'),
    length: secrets.use('DB_PASSWORD', (password) => password.length),
    table: config.get('TABLE_NAME'),
  };
};
