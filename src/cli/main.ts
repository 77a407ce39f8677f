#!/usr/bin/env node
import { interruptSignal } from './interrupt.js';
import { runCli } from './program.js';

// Ctrl-C is handled from the start, before any command loads a model.
interruptSignal();

process.exitCode = await runCli(process.argv.slice(2));
