import type { Command } from 'commander';
import { runBench } from '../../bench/run-bench';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure braid end to end against the raw pipeline and a naive design; prints one JSON line')
    .action(runBench);
}
