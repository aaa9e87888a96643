#!/usr/bin/env node
// Committed launcher so npm can link the bin before the first build exists.
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
