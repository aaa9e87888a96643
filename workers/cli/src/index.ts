export type { Command, CommandIo } from './io.js';
export { ExitCode } from './io.js';
export { main } from './main.js';
