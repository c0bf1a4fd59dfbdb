#!/usr/bin/env node
/**
 * The `flowmatch` command. Exit codes: 0 success, 1 failure, 2 usage error (a bad option
 * or option value), 130 training stopped by Ctrl-C.
 */
import { ArgumentError } from '../errors';
import { version } from '../version';
import { UsageError, closest } from '../run/options';
import { doctor } from './doctor';
import { buildFromSourceCommand } from './build-from-source';
import { trainCommand } from './train';
import { sampleCommand } from './sample';
import { nllCommand } from './nll';
import { evalCommand } from './eval';
import { reflowCommand } from './reflow';
import { serveCommand } from './serve';

const USAGE = `usage: flowmatch <command> [options]

commands:
  train    train a flow matching model (2-D toys or Fashion-MNIST) into a run folder
  sample   draw samples from a trained run into a PNG and/or a safetensors file
  nll      negative log-likelihood on held-out data (nats for 2-D, bits/dim for images)
  eval     a table of metrics for a run: W2 or FID, NLL, sampling NFE, straightness
  reflow   rectify a run: train a student on pairs from its ODE (straighter, fewer steps)
  serve    serve a trained run over HTTP: batched sampling, log-likelihood, health and metrics
  doctor   check Node, libtorch, the native addon and CUDA, and say how to fix problems

\`flowmatch <command> --help\` lists a command's options.
`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number> | number> = {
  train: trainCommand,
  sample: sampleCommand,
  nll: nllCommand,
  eval: evalCommand,
  reflow: reflowCommand,
  serve: serveCommand,
  'build-from-source': buildFromSourceCommand,
  doctor: (argv) => {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write('usage: flowmatch doctor [--json]\n');
      return 0;
    }
    const unknown = argv.find((a) => a !== '--json');
    if (unknown !== undefined) throw new UsageError(`unknown option ${unknown}`);
    return doctor({ json: argv.includes('--json') });
  },
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const run = Object.prototype.hasOwnProperty.call(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (run === undefined) {
    const near = closest(command, Object.keys(COMMANDS));
    process.stderr.write(`flowmatch: unknown command '${command}'${near ? ` (did you mean '${near}'?)` : ''}\n\n${USAGE}`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (e) {
    const usageError = e instanceof UsageError || e instanceof ArgumentError;
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`flowmatch ${command}: ${message}\n${usageError ? `(see \`flowmatch ${command} --help\`)\n` : ''}`);
    return usageError ? 2 : 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
