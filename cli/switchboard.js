#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx switchboard` works right after `npm ci` with no build step.
// The SDK's notice concerns its own releases after January 2027; the lockfile pins this one,
// which supports the Node >= 20 that package.json declares. Keep the CLI's stderr for errors.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('./main.ts')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
