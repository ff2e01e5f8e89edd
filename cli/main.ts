import { Command } from 'commander';
import { ConfigError } from '../runtime/config';
import { registerBench } from './commands/bench';
import { registerDemo } from './commands/demo';
import { registerIngest } from './commands/ingest';
import { registerMigrate } from './commands/migrate';
import { registerStatus } from './commands/status';
import { registerUp } from './commands/up';
import { registerWorker } from './commands/worker';

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

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(`braid: ${error.message}`);
  else console.error(`braid: ${(error as Error)?.stack ?? String(error)}`);
  process.exit(1);
});
