import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../runtime/paths';

/** The files operators read and Prometheus/Grafana load: every braid_* metric they name must exist. */
export function opsFiles(): string[] {
  const under = (dir: string, ext: string) =>
    readdirSync(join(repoRoot, dir))
      .filter((f) => f.endsWith(ext))
      .map((f) => join(dir, f));
  return [...under('ops/grafana/dashboards', '.json'), ...under('ops/prometheus', '.yml'), ...under('docs/runbooks', '.md')];
}

/** The braid_* metric names a file mentions (histogram series names included as written). */
export function metricNamesIn(file: string): string[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  return [...new Set([...text.matchAll(/\bbraid_[a-z0-9_]+/g)].map((m) => m[0]))];
}

/** The series names a Prometheus exposition offers: each `# TYPE` name, and a histogram's _bucket, _sum and _count. */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const m of exposition.matchAll(/^# TYPE (\S+) (\S+)/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    names.add(name);
    if (type === 'histogram' || type === 'summary') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}
