#!/usr/bin/env node
// The `threadwal` command is @threadwal/cli's; this package only carries its bin.
import { main } from '@threadwal/cli';

process.exitCode = await main(process.argv);
