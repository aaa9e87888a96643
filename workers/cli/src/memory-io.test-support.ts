import { PassThrough } from 'node:stream';
import type { CommandIo } from './io.js';

/** A CommandIo whose output the test reads back: how every command test drives `main`. */
export function memoryIo(cwd: string, isTTY = false): CommandIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  return { stdout, stderr, isTTY, env: {}, cwd, out: () => out, err: () => err };
}
