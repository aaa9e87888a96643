#!/usr/bin/env node
// Committed launcher so npm can link the bin before the first build exists.
import { main } from '../dist/main.js';

// Output that can no longer be written must not end in an unhandled 'error' and a stack trace.
// The command still finishes and sets its own exit code (`scan … | head -1` must still exit 3
// on a match); later writes go nowhere.
let outputFailed = false;
process.stdout.on('error', (error) => {
  process.stdout.write = () => true;
  process.stdout.emit('drain'); // a writer waiting for room goes on
  // A reader that stops early (`staydown index export | head`) is not a failure.
  if (error.code === 'EPIPE' || outputFailed) return;
  // A full disk or a closed file is: say so, and never exit 0 on incomplete output.
  outputFailed = true;
  if (process.exitCode === 0) process.exitCode = 1; // the error came after the command had finished
  process.stderr.write(`staydown: the output could not be written (${error.code ?? error.message}) [WRITE_FAILED]\n`);
});

// A closed stderr (`2>&1 | head`, a log collector gone) must not turn exit 3 into a crash.
process.stderr.on('error', () => {
  process.stderr.write = () => true;
  process.stderr.emit('drain');
});

const code = await main(process.argv.slice(2));
process.exitCode = outputFailed && code === 0 ? 1 : code;
