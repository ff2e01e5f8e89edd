import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { s3Settings, type S3Settings, type S3SettingsRejection } from '../rules/s3-settings';

/**
 * The S3 connection of a bucket lake: a client built from the standard AWS
 * variables (rules/s3-settings.ts), whose credentials are resolved once when
 * it opens, so a missing key is a clear error before anything is written,
 * not a failure deep in the first upload.
 */

export interface S3Lake {
  client: S3Client;
  bucket: string;
  /** Key prefix without slashes at either end; '' for the bucket's root. */
  prefix: string;
  settings: S3Settings;
}

export type S3OpenFailure = { ok: false; code: S3SettingsRejection | 'missing_credentials'; variable: string; reason: string };

export type S3OpenOutcome = { ok: true; lake: S3Lake } | S3OpenFailure;

export async function connectS3(bucket: string, prefix: string, env: Readonly<Record<string, string | undefined>>): Promise<S3OpenOutcome> {
  const parsed = s3Settings(env);
  if (!parsed.ok) return parsed;
  const { settings } = parsed;
  // braid pins the SDK (package.json), so its notice that later SDK versions will need a newer Node
  // is for whoever upgrades that pin, not for every `braid lake` run on Node 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle,
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    // Integrity through Content-MD5, which AWS and every S3-compatible server check, rather than the
    // SDK's newer trailing checksums, which some of those servers reject.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
    maxAttempts: 4,
  });
  try {
    const credentials = await client.config.credentials();
    if (!credentials.accessKeyId) throw new Error('no access key id');
  } catch (error) {
    client.destroy();
    return {
      ok: false,
      code: 'missing_credentials',
      variable: 'AWS_ACCESS_KEY_ID',
      reason:
        'no AWS credentials for the s3:// lake: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, or run with a role) ' +
        `(${(error as Error).message.split('\n')[0]})`,
    };
  }
  return { ok: true, lake: { client, bucket, prefix, settings } };
}

/** An object store refused or failed a request; the message names the lake and what to check. */
export class LakeAccessError extends Error {
  override readonly name = 'LakeAccessError';
}

/** Runs S3 requests, turning their failures into a LakeAccessError that says what to fix. */
export async function clearS3Errors<T>(lake: S3Lake, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof LakeAccessError) throw error;
    throw new LakeAccessError(describeS3Error(error, lake), { cause: error });
  }
}

/** An S3 failure as one line saying what to fix; anything else as its message. */
export function describeS3Error(error: unknown, lake: S3Lake): string {
  const where = `s3://${lake.bucket}${lake.prefix ? `/${lake.prefix}` : ''}${lake.settings.endpoint ? ` on ${lake.settings.endpoint}` : ''}`;
  if (error instanceof S3ServiceException) {
    switch (error.name) {
      case 'NoSuchBucket':
        return `${where}: the bucket ${lake.bucket} does not exist`;
      case 'InvalidAccessKeyId':
      case 'SignatureDoesNotMatch':
        return `${where}: the server refused the credentials (${error.name}): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`;
      case 'AccessDenied':
      case 'Forbidden':
        return `${where}: access denied: the credentials need s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject there`;
      case 'PermanentRedirect':
      case 'AuthorizationHeaderMalformed':
        return `${where}: the bucket is in another region than AWS_REGION=${lake.settings.region} (${error.name})`;
      default:
        return `${where}: ${error.name}: ${error.message} (HTTP ${error.$metadata.httpStatusCode ?? '?'})`;
    }
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && /^E[A-Z]+$/.test(code)) return `${where}: cannot reach ${lake.settings.endpoint ?? 'S3'} (${code})`;
  return `${where}: ${(error as Error).message}`;
}
