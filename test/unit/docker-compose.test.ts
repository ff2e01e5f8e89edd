import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createProgram } from '../../cli/program';

/**
 * docker-compose.yml is for users' machines (no Docker engine runs here), so
 * a test keeps it honest: every braid command it runs exists in the CLI, and
 * it carries the services the contract relies on.
 */
const root = join(__dirname, '..', '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; build?: unknown; command?: string[]; environment?: Record<string, string>; ports?: string[] }>;
};

describe('docker-compose.yml', () => {
  it('runs only braid commands that exist', () => {
    const commands = createProgram().commands.map((c) => c.name());
    const braidServices = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);
    expect(braidServices.length).toBeGreaterThanOrEqual(3);
    for (const [name, service] of braidServices) {
      expect(service.command, name).toBeDefined();
      expect(commands, `${name} runs "${service.command?.[0]}"`).toContain(service.command?.[0]);
    }
  });

  it('has NATS with JetStream, Postgres, a Temporal server and its UI', () => {
    const images = Object.values(compose.services).map((s) => s.image ?? '');
    expect(images.some((i) => i.startsWith('nats:'))).toBe(true);
    expect(compose.services.nats?.command).toContain('-js');
    expect(images.some((i) => i.startsWith('postgres:'))).toBe(true);
    expect(images.some((i) => i.startsWith('temporalio/auto-setup:') || i.startsWith('temporalio/server:'))).toBe(true);
    expect(images.some((i) => i.startsWith('temporalio/ui:'))).toBe(true);
  });

  it('points braid at the services with the contract variables', () => {
    for (const [name, service] of Object.entries(compose.services).filter(([, s]) => s.build !== undefined)) {
      expect(Object.keys(service.environment ?? {}), name).toEqual(expect.arrayContaining(['DATABASE_URL', 'NATS_URL', 'TEMPORAL_ADDRESS']));
    }
  });
});
