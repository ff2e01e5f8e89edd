/**
 * How braid reaches an S3 lake, from the standard AWS variables only (so the
 * same environment serves the AWS CLI, DuckDB, Spark…):
 *
 * - `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`: an S3-compatible server
 *   (`http(s)://host[:port]`), addressed path-style (`<endpoint>/<bucket>/<key>`),
 *   which every such server serves; unset: AWS itself, virtual-hosted style.
 * - `AWS_REGION`, else `AWS_DEFAULT_REGION`: required for AWS; with an endpoint
 *   it defaults to us-east-1 (what S3-compatible servers sign with unless told).
 * - `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`),
 *   both or neither; neither leaves it to the AWS SDK's own chain (AWS_PROFILE,
 *   web identity, container or instance role), checked when the lake opens.
 *
 * Blank values count as unset, as in configuration everywhere else.
 */

export interface S3Settings {
  region: string;
  /** The S3-compatible server, or null for AWS. */
  endpoint: string | null;
  /** `<endpoint>/<bucket>/<key>` rather than `<bucket>.<endpoint>/<key>`: on whenever an endpoint is set. */
  forcePathStyle: boolean;
  /** Keys from the environment, or null to let the SDK's credential chain find them. */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | null;
}

export type S3SettingsRejection = 'missing_region' | 'invalid_region' | 'invalid_endpoint' | 'incomplete_credentials';

export type S3SettingsOutcome = { ok: true; settings: S3Settings } | { ok: false; code: S3SettingsRejection; variable: string; reason: string };

/** Regions are short names of letters, digits, `-` and `_` (`eu-west-1`, `auto`, `fr-par`, `garage`). */
const REGION = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export function s3Settings(env: Readonly<Record<string, string | undefined>>): S3SettingsOutcome {
  const given = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const first = (...names: string[]): { variable: string; value: string } | null => {
    for (const variable of names) {
      const value = given(variable);
      if (value !== undefined) return { variable, value };
    }
    return null;
  };

  const endpointSetting = first('AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL');
  let endpoint: string | null = null;
  if (endpointSetting) {
    const problem = endpointProblem(endpointSetting.value);
    if (problem) return { ok: false, code: 'invalid_endpoint', variable: endpointSetting.variable, reason: `${endpointSetting.variable}: ${problem}` };
    endpoint = endpointSetting.value.replace(/\/+$/, '');
  }

  const regionSetting = first('AWS_REGION', 'AWS_DEFAULT_REGION');
  if (regionSetting && !REGION.test(regionSetting.value)) {
    return { ok: false, code: 'invalid_region', variable: regionSetting.variable, reason: `${regionSetting.variable}: ${JSON.stringify(regionSetting.value)} is not a region name (such as eu-west-1)` };
  }
  if (!regionSetting && endpoint === null) {
    return {
      ok: false,
      code: 'missing_region',
      variable: 'AWS_REGION',
      reason: "AWS_REGION is not set: an s3:// lake on AWS needs the bucket's region (e.g. AWS_REGION=eu-west-1); for an S3-compatible server set AWS_ENDPOINT_URL",
    };
  }

  const accessKeyId = given('AWS_ACCESS_KEY_ID');
  const secretAccessKey = given('AWS_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    const missing = accessKeyId === undefined ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY';
    const present = accessKeyId === undefined ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID';
    return { ok: false, code: 'incomplete_credentials', variable: missing, reason: `${missing} is not set but ${present} is: give both, or neither to use AWS_PROFILE or a role` };
  }
  const sessionToken = given('AWS_SESSION_TOKEN');
  return {
    ok: true,
    settings: {
      region: regionSetting?.value ?? 'us-east-1',
      endpoint,
      forcePathStyle: endpoint !== null,
      credentials: accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } : null,
    },
  };
}

/** An endpoint is an http(s) URL of a server: no credentials, query or fragment in it. */
function endpointProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${JSON.stringify(value)} is not a URL: write the server as http(s)://host[:port]`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${JSON.stringify(value)} is not an http:// or https:// URL`;
  if (url.username || url.password) return 'credentials do not go in the endpoint URL: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';
  if (url.search || url.hash) return `${JSON.stringify(value)} has a query or fragment: write the server as http(s)://host[:port]`;
  return null;
}
