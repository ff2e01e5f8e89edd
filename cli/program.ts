import { Command } from 'commander';
import { registerBench } from './commands/bench';
import { registerDemo } from './commands/demo';
import { registerIngest } from './commands/ingest';
import { registerMigrate } from './commands/migrate';
import { registerStatus } from './commands/status';
import { registerUp } from './commands/up';
import { registerWorker } from './commands/worker';

/** The `braid` command tree, without running anything. */
export function createProgram(): Command {
  const program = new Command()
    .name('braid')
    .description('One trustworthy product-analytics event stream: NATS JetStream → session workflows → Postgres')
    .showHelpAfterError();
  registerUp(program);
  registerMigrate(program);
  registerIngest(program);
  registerWorker(program);
  registerDemo(program);
  registerStatus(program);
  registerBench(program);
  return program;
}
