#!/usr/bin/env node
// The installed entry point: runs the built CLI.
import('../dist/main.js')
  .then((m) => m.main(process.argv.slice(2)))
  .then(
    (code) => process.exit(code ?? 0),
    (err) => {
      console.error(err?.message ?? err);
      process.exit(1);
    },
  );
