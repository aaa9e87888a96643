#!/usr/bin/env node
// Committed launcher so npm can link the bin before the first build exists.
import { main } from '../dist/main.js';

// A reader that stops early (`staydown index export | head`) is not a failure: stop quietly,
// as Unix tools do on SIGPIPE, instead of dying on an unhandled EPIPE with a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
