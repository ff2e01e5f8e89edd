import { ConfigError } from '../runtime/config';
import { createProgram } from './program';

createProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    if (error instanceof ConfigError) console.error(`braid: ${error.message}`);
    else console.error(`braid: ${(error as Error)?.stack ?? String(error)}`);
    process.exit(1);
  });
