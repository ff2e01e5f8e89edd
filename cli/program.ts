import { Command } from 'commander';
import { registerAnalyst } from './commands/analyst';
import { registerApi } from './commands/api';
import { registerBench } from './commands/bench';
import { registerBackfill, registerReplay } from './commands/operations';
import { registerPersons } from './commands/persons';
import { registerSession } from './commands/session';
import { registerProject } from './commands/project';
import { registerSchema } from './commands/schema';
import { registerConsent } from './commands/consent';
import { registerContract } from './commands/contract';
import { registerDemo } from './commands/demo';
import { registerErase } from './commands/erase';
import { registerIngest } from './commands/ingest';
import { registerLake } from './commands/lake';
import { registerRules } from './commands/rules';
import { registerMaintenance } from './commands/maintenance';
import { registerMigrate } from './commands/migrate';
import { registerStatus } from './commands/status';
import { registerSynth } from './commands/synth';
import { registerUp } from './commands/up';
import { registerWorker } from './commands/worker';

/** The `braid` command tree, without running anything. */
export function createProgram(): Command {
  const program = new Command()
    .name('braid')
    .description('One trustworthy product-analytics event stream: NATS JetStream → host workflows of device actors → Postgres')
    .showHelpAfterError();
  registerUp(program);
  registerMigrate(program);
  registerApi(program);
  registerIngest(program);
  registerWorker(program);
  registerDemo(program);
  registerStatus(program);
  registerMaintenance(program);
  registerProject(program);
  registerReplay(program);
  registerBackfill(program);
  registerPersons(program);
  registerSession(program);
  registerLake(program);
  registerContract(program);
  registerRules(program);
  registerSchema(program);
  registerConsent(program);
  registerErase(program);
  registerAnalyst(program);
  registerBench(program);
  registerSynth(program);
  return program;
}
