import type { Command } from 'commander';
import { runAnalyticsBench } from '../../bench/analytics-bench';
import { runBench } from '../../bench/run-bench';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure braid end to end (burst against the raw limit, sustained trickle, one device, HTTP collector, synthetic traffic; BENCH_SCENARIOS picks); prints one JSON line')
    .option('--analytics', 'instead: analyst queries on 10 million partitioned events against an unpartitioned copy, and four analyses on Postgres against DuckDB over a Parquet lake of the same events')
    .action((opts: { analytics?: boolean }) => (opts.analytics ? runAnalyticsBench() : runBench()));
}
