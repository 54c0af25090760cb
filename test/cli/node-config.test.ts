/** `raftchart node` configuration: the secret's sources, peer client addresses, command limits. */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveNodeConfig } from '../../src/cli/node-config.js';
import { ConfigError } from '../../src/errors.js';

const SECRET = 'a-secret-of-more-than-16';
const BASE = { id: 'a', listen: '127.0.0.1:7001', client: '127.0.0.1:8001', data: '/tmp/x' };

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'raftchart-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function resolve(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const warnings: string[] = [];
  const config = resolveNodeConfig({ ...BASE, ...flags }, env, (message) => warnings.push(message));
  return { config, warnings };
}

describe('the cluster secret', () => {
  it('--secret works but warns that ps shows it', () => {
    const { config, warnings } = resolve({ secret: SECRET });
    expect(config.secret).toBe(SECRET);
    expect(warnings).toEqual([
      expect.stringMatching(/visible|can read it.*use --secret-file or RAFTCHART_SECRET/),
    ]);
    expect(warnings.join()).not.toContain(SECRET);
  });

  it('--secret-file reads the file without its trailing newline, silently when only its owner can read it', async () => {
    const file = join(dir, 'secret');
    await writeFile(file, `${SECRET}\n`);
    await chmod(file, 0o600);
    const { config, warnings } = resolve({ secretFile: file }, { RAFTCHART_SECRET: 'ignored-env-secret-x' });
    expect(config.secret).toBe(SECRET);
    expect(warnings).toEqual([]);
  });

  it('warns when the secret file is readable by others', async () => {
    const file = join(dir, 'open-secret');
    await writeFile(file, SECRET);
    await chmod(file, 0o644);
    expect(resolve({ secretFile: file }).warnings).toEqual([
      expect.stringMatching(/can be read by other users: chmod 600/),
    ]);
  });

  it('a missing or short secret file is a ConfigError naming it', async () => {
    expect(() => resolve({ secretFile: join(dir, 'none') })).toThrow(ConfigError);
    expect(() => resolve({ secretFile: join(dir, 'none') })).toThrow(/cannot read the secret file .*none/);
    const short = join(dir, 'short');
    await writeFile(short, 'short');
    await chmod(short, 0o600);
    expect(() => resolve({ secretFile: short })).toThrow(/secret must be at least 16 characters/);
  });

  it('RAFTCHART_SECRET is used when nothing else gives one', () => {
    expect(resolve({}, { RAFTCHART_SECRET: SECRET }).config.secret).toBe(SECRET);
  });
});

describe('peer client addresses and limits', () => {
  it('--peer-client gives each peer its client address', () => {
    const { config } = resolve({
      secret: SECRET,
      peer: ['b=127.0.0.1:7002'],
      peerClient: ['b=127.0.0.1:8002'],
    });
    expect(config.peerClients).toEqual({ b: '127.0.0.1:8002' });
  });

  it('refuses a client address for a node that is not a peer, and a malformed one', () => {
    expect(() =>
      resolve({ secret: SECRET, peer: ['b=127.0.0.1:7002'], peerClient: ['c=127.0.0.1:8003'] }),
    ).toThrow(/peerClients names "c", which is not in peers/);
    expect(() => resolve({ secret: SECRET, peerClient: ['127.0.0.1:8003'] })).toThrow(
      /--peer-client takes id=host:port/,
    );
  });

  it('bounds maxCommandBytes and maxCommandDepth', () => {
    expect(resolve({ secret: SECRET, maxCommandBytes: 4096, maxCommandDepth: 8 }).config).toMatchObject({
      maxCommandBytes: 4096,
      maxCommandDepth: 8,
    });
    expect(() => resolve({ secret: SECRET, maxCommandBytes: 2 ** 30 })).toThrow(
      /maxCommandBytes must be <= 67108864/,
    );
    expect(() => resolve({ secret: SECRET, maxCommandDepth: 0 })).toThrow(/maxCommandDepth must be >= 1/);
  });
});

describe('joining a running cluster', () => {
  const peers = { secret: SECRET, peer: ['b=127.0.0.1:7002'], peerClient: ['b=127.0.0.1:8002'] };

  it('--join, and --add-self with it, are kept; so are the features', () => {
    expect(resolve({ ...peers, join: true, addSelf: true, preVote: false }).config).toMatchObject({
      join: true,
      addSelf: true,
      preVote: false,
    });
  });

  it('--add-self needs --join, a peer client API to ask, and a listen host the peers can reach', () => {
    expect(() => resolve({ ...peers, addSelf: true })).toThrow(/add --join/);
    expect(() => resolve({ secret: SECRET, peer: ['b=127.0.0.1:7002'], join: true, addSelf: true })).toThrow(
      /give them with --peer-client/,
    );
    expect(() => resolve({ ...peers, join: true, addSelf: true, listen: '0.0.0.0:7001' })).toThrow(
      /0\.0\.0\.0:7001 names no host/,
    );
  });
});
