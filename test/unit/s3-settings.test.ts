import { describe, expect, it } from 'vitest';
import { s3Settings, type S3Settings } from '../../rules/s3-settings';

const keys = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrEXAMPLEKEY' };

describe('s3Settings: the standard AWS variables', () => {
  it.each<[string, Record<string, string | undefined>, S3Settings]>([
    [
      'AWS with keys',
      { AWS_REGION: 'eu-west-1', ...keys },
      { region: 'eu-west-1', endpoint: null, forcePathStyle: false, credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrEXAMPLEKEY' } },
    ],
    [
      'AWS_DEFAULT_REGION when AWS_REGION is unset, the SDK chain without keys',
      { AWS_DEFAULT_REGION: 'us-west-2' },
      { region: 'us-west-2', endpoint: null, forcePathStyle: false, credentials: null },
    ],
    [
      'AWS_REGION before AWS_DEFAULT_REGION, a session token',
      { AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'us-west-2', ...keys, AWS_SESSION_TOKEN: 'tok' },
      { region: 'ap-south-1', endpoint: null, forcePathStyle: false, credentials: { ...{ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrEXAMPLEKEY' }, sessionToken: 'tok' } },
    ],
    [
      'an S3-compatible server: path-style, us-east-1 unless told',
      { AWS_ENDPOINT_URL: 'http://127.0.0.1:9000/', ...keys },
      { region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrEXAMPLEKEY' } },
    ],
    [
      'AWS_ENDPOINT_URL_S3 before AWS_ENDPOINT_URL; its region',
      { AWS_ENDPOINT_URL_S3: 'https://s3.fr-par.example.com', AWS_ENDPOINT_URL: 'http://other:1', AWS_REGION: 'fr-par', ...keys },
      { region: 'fr-par', endpoint: 'https://s3.fr-par.example.com', forcePathStyle: true, credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrEXAMPLEKEY' } },
    ],
    [
      'blank values are unset; values are trimmed',
      { AWS_ENDPOINT_URL_S3: '  ', AWS_ENDPOINT_URL: ' http://minio.local:9000 ', AWS_REGION: '', AWS_ACCESS_KEY_ID: ' a ', AWS_SECRET_ACCESS_KEY: ' b ', AWS_SESSION_TOKEN: ' ' },
      { region: 'us-east-1', endpoint: 'http://minio.local:9000', forcePathStyle: true, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } },
    ],
    ['R2-style region "auto"', { AWS_ENDPOINT_URL: 'https://acct.r2.example.com', AWS_REGION: 'auto' }, { region: 'auto', endpoint: 'https://acct.r2.example.com', forcePathStyle: true, credentials: null }],
  ])('%s', (_name, env, settings) => {
    expect(s3Settings(env)).toEqual({ ok: true, settings });
  });

  it.each([
    ['no region and no endpoint', {}, 'missing_region', 'AWS_REGION'],
    ['a blank region and no endpoint', { AWS_REGION: '  ', ...keys }, 'missing_region', 'AWS_REGION'],
    ['a region with a space', { AWS_REGION: 'eu west 1' }, 'invalid_region', 'AWS_REGION'],
    ['a bad AWS_DEFAULT_REGION', { AWS_DEFAULT_REGION: 'eu/west' }, 'invalid_region', 'AWS_DEFAULT_REGION'],
    ['an endpoint that is not a URL', { AWS_ENDPOINT_URL: '127.0.0.1:9000' }, 'invalid_endpoint', 'AWS_ENDPOINT_URL'],
    ['an endpoint of another scheme', { AWS_ENDPOINT_URL_S3: 'ftp://host' }, 'invalid_endpoint', 'AWS_ENDPOINT_URL_S3'],
    ['credentials in the endpoint', { AWS_ENDPOINT_URL: 'http://key:secret@host:9000' }, 'invalid_endpoint', 'AWS_ENDPOINT_URL'],
    ['a query in the endpoint', { AWS_ENDPOINT_URL: 'http://host:9000/?x=1' }, 'invalid_endpoint', 'AWS_ENDPOINT_URL'],
    ['a key id without its secret', { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIA' }, 'incomplete_credentials', 'AWS_SECRET_ACCESS_KEY'],
    ['a secret without its key id', { AWS_REGION: 'eu-west-1', AWS_SECRET_ACCESS_KEY: 's', AWS_ACCESS_KEY_ID: ' ' }, 'incomplete_credentials', 'AWS_ACCESS_KEY_ID'],
  ])('refuses %s, naming the variable', (_name, env, code, variable) => {
    const outcome = s3Settings(env);
    expect(outcome).toMatchObject({ ok: false, code, variable });
    expect(outcome.ok ? '' : outcome.reason).toContain(variable);
  });

  it('never repeats a secret in its reason', () => {
    const outcome = s3Settings({ AWS_ENDPOINT_URL: 'http://key:hunter2@host:9000' });
    expect(outcome.ok ? '' : outcome.reason).not.toContain('hunter2');
  });
});
