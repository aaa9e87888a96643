#!/usr/bin/env node
// Committed launcher so npm can link the bin before the first build exists.
import { main } from '../dist/main.js';

// A reader that stops early (`staydown index export | head`) is not a failure: output stops
// quietly instead of dying on an unhandled EPIPE with a stack trace, and the command still
// finishes and sets its own exit code (`scan … | head -1` must still exit 3 on a match).
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  process.stdout.write = () => true;
  process.stdout.emit('drain'); // a writer waiting for room goes on (its writes now go nowhere)
});

process.exitCode = await main(process.argv.slice(2));
