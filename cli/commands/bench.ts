import type { Command } from 'commander';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure braid end to end against the raw pipeline and a naive design; prints one JSON line')
    .action(async () => {
      const { runBench } = await import('../../bench/run-bench');
      await runBench();
    });
}
