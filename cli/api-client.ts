import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** A failed API call, with the contract's error code and message. */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface ApiClientOptions {
  url?: string;
  token?: string;
}

/**
 * The CLI's way to the operator API: BRAID_API_URL (default the local API on
 * BRAID_HTTP_PORT) and a token from --token, BRAID_TOKEN, BRAID_ADMIN_TOKEN or
 * the admin token `braid up` saved under BRAID_STATE_DIR.
 */
export class ApiClient {
  readonly url: string;
  private readonly token: string | undefined;

  constructor(options: ApiClientOptions = {}) {
    this.url = (options.url ?? process.env.BRAID_API_URL ?? `http://127.0.0.1:${process.env.BRAID_HTTP_PORT || 8080}`).replace(/\/$/, '');
    this.token = options.token ?? process.env.BRAID_TOKEN ?? process.env.BRAID_ADMIN_TOKEN ?? savedAdminToken();
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiCallError(0, 'api_unreachable', `cannot reach the braid API at ${this.url} (${(error as Error).message}); is \`braid up\` or \`braid api\` running?`);
    }
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) {
      const err = (parsed as { error?: { code?: string; message?: string; details?: unknown } })?.error;
      throw new ApiCallError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? text, err?.details);
    }
    return parsed as T;
  }
}

export function adminTokenFile(stateDir = process.env.BRAID_STATE_DIR || '.braid'): string {
  return join(resolve(stateDir), 'admin-token');
}

function savedAdminToken(): string | undefined {
  const file = adminTokenFile();
  return existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined;
}
