// Preloaded into Node.js functions by cutover (NODE_OPTIONS=--require). The AWS SDK for
// JavaScript v2 (`aws-sdk`) does not read AWS_ENDPOINT_URL; when a function loads it, this points
// its global configuration at the emulator. Nothing is downloaded: if `aws-sdk` cannot be
// resolved (not in the zip's node_modules nor on NODE_PATH), nothing happens.
'use strict';
const Module = require('module');
const endpoint = process.env.AWS_ENDPOINT_URL;
if (endpoint) {
  const load = Module._load;
  let patched = false;
  Module._load = function (request, parent, isMain) {
    const exported = load.apply(this, arguments);
    if (!patched && typeof request === 'string' && (request === 'aws-sdk' || request.startsWith('aws-sdk/'))) {
      try {
        const AWS = request === 'aws-sdk' ? exported : load.call(this, 'aws-sdk/global', parent, false);
        if (AWS && AWS.config && typeof AWS.config.update === 'function') {
          AWS.config.update({ endpoint, s3ForcePathStyle: true });
          patched = true;
        }
      } catch (e) {
        // Not the SDK we know: leave it alone.
      }
    }
    return exported;
  };
}
