#!/usr/bin/env node
// dyna, the Cordyna command line.

import { runCli } from "./main.js";

process.exitCode = await runCli(process.argv.slice(2));
