#!/usr/bin/env node
/** The `flowmatch` command. */
import { doctor } from './doctor';

const USAGE = `usage: flowmatch <command> [options]

commands:
  doctor [--json]   check Node, libtorch, the native addon and CUDA, and say how to fix problems
`;

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  switch (command) {
    case 'doctor':
      return doctor({ json: rest.includes('--json') });
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`flowmatch: unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
