import { ApiCallError } from './api-client';

/** Runs a CLI command that talks to the API; API errors print their code and message and exit non-zero. */
export async function runClientCommand(work: () => Promise<void | number>): Promise<void> {
  try {
    const code = await work();
    if (typeof code === 'number' && code !== 0) process.exit(code);
  } catch (error) {
    if (error instanceof ApiCallError) {
      console.error(`braid: ${error.code}: ${error.message}`);
      if (Array.isArray(error.details)) for (const d of error.details) console.error(`  - ${JSON.stringify(d)}`);
      process.exit(error.status === 0 ? 3 : 2);
    }
    throw error;
  }
}

export const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The project a command names with -p (or BRAID_PROJECT); null, after saying so, when neither does. */
export function projectOf(opts: { project?: string }): string | null {
  const projectId = opts.project ?? process.env.BRAID_PROJECT;
  if (!projectId) console.error('braid: name the project with -p <projectId> (or BRAID_PROJECT)');
  return projectId ?? null;
}
