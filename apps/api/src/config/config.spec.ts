import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createTempDir } from '../testing/temp-dir';
import { ConfigError, DEFAULT_DISPOSITIONS, loadConfig } from './config';

describe('loadConfig', () => {
  let dir: ReturnType<typeof createTempDir>;
  beforeEach(() => (dir = createTempDir()));
  afterEach(() => dir.remove());

  const strongSecret = 's'.repeat(32);

  it('applies the defaults, with SQLite in DATA_DIR', () => {
    const config = loadConfig({ DATA_DIR: dir.path, JWT_SECRET: 'x' });
    expect(config.port).toBe(3000);
    expect(config.database).toEqual({ dialect: 'sqlite', file: join(dir.path, 'switchboard.sqlite') });
    expect(config.accessTokenTtlSeconds).toBe(8 * 3600);
    expect(config.redisUrl).toBeNull();
    expect(config.portalDir).toMatch(/dist\/portal\/browser$/);
    expect([config.loginAttemptsPerMinute, config.loginAttemptsPerAddressPerMinute]).toEqual([10, 30]);
  });

  it('reads the allowed origins and the connection cap, and names wrong ones', () => {
    expect(loadConfig({ DATA_DIR: dir.path }).allowedOrigins).toEqual([]);
    expect(loadConfig({ DATA_DIR: dir.path }).maxConnectionsPerAddress).toBe(200);
    const config = loadConfig({ DATA_DIR: dir.path, ALLOWED_ORIGINS: 'https://portal.example.edu, http://localhost:4200/', MAX_CONNECTIONS_PER_ADDRESS: '50' });
    expect(config.allowedOrigins).toEqual(['https://portal.example.edu', 'http://localhost:4200']);
    expect(config.maxConnectionsPerAddress).toBe(50);
    for (const wrong of ['*', 'portal.example.edu', 'https://portal.example.edu/app', 'ftp://x.example']) {
      expect(() => loadConfig({ DATA_DIR: dir.path, ALLOWED_ORIGINS: wrong })).withContext(wrong).toThrowError(ConfigError, /ALLOWED_ORIGINS/);
    }
    expect(() => loadConfig({ DATA_DIR: dir.path, MAX_CONNECTIONS_PER_ADDRESS: '0' })).toThrowError(ConfigError, /MAX_CONNECTIONS_PER_ADDRESS/);
  });

  it('reads the sign-in limits and names a wrong one', () => {
    const config = loadConfig({ DATA_DIR: dir.path, LOGIN_ATTEMPTS_PER_MINUTE: '5', LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '200' });
    expect([config.loginAttemptsPerMinute, config.loginAttemptsPerAddressPerMinute]).toEqual([5, 200]);
    expect(() => loadConfig({ DATA_DIR: dir.path, LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE: '0' })).toThrowError(ConfigError, /LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE/);
  });

  it('keeps every call unless RETENTION_MONTHS is set, and names a wrong one', () => {
    expect(loadConfig({ DATA_DIR: dir.path }).retentionMonths).toBeNull();
    expect(loadConfig({ DATA_DIR: dir.path, RETENTION_MONTHS: '24' }).retentionMonths).toBe(24);
    for (const wrong of ['0', '1.5', 'forever', '-3']) {
      expect(() => loadConfig({ DATA_DIR: dir.path, RETENTION_MONTHS: wrong })).withContext(wrong).toThrowError(ConfigError, /RETENTION_MONTHS/);
    }
  });

  it('switches to PostgreSQL for a postgres:// DATABASE_URL', () => {
    const config = loadConfig({ DATA_DIR: dir.path, DATABASE_URL: 'postgres://u@db:5432/sb' });
    expect(config.database).toEqual({ dialect: 'postgres', url: 'postgres://u@db:5432/sb' });
  });

  it('reads durations and the Redis URL', () => {
    const config = loadConfig({ DATA_DIR: dir.path, ACCESS_TOKEN_TTL: '15m', REDIS_URL: 'redis://127.0.0.1:6379', PORT: '0' });
    expect(config.accessTokenTtlSeconds).toBe(900);
    expect(config.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(config.port).toBe(0);
    expect(loadConfig({ DATA_DIR: dir.path, ACCESS_TOKEN_TTL: '90' }).accessTokenTtlSeconds).toBe(90);
  });

  it('in production, refuses to start without JWT_SECRET', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dir.path })).toThrowMatching(
      (e) => e instanceof ConfigError && /JWT_SECRET is required in production/.test(e.message),
    );
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dir.path, JWT_SECRET: '   ' })).toThrowError(ConfigError, /JWT_SECRET is required/);
  });

  it('in production, refuses a JWT_SECRET shorter than 32 characters', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dir.path, JWT_SECRET: 'short-secret' })).toThrowError(
      ConfigError,
      /JWT_SECRET is too weak: it has 12 characters, production needs at least 32/,
    );
    expect(loadConfig({ NODE_ENV: 'production', DATA_DIR: dir.path, JWT_SECRET: strongSecret }).jwtSecret).toBe(strongSecret);
  });

  it('outside production, generates a secret once and keeps it in DATA_DIR/jwt-secret', () => {
    const first = loadConfig({ DATA_DIR: dir.path }).jwtSecret;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(loadConfig({ DATA_DIR: dir.path }).jwtSecret).toBe(first);
    const file = join(dir.path, 'jwt-secret');
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    expect(statSync(file).mode & 0o077).toBe(0);
  });

  it('names every invalid variable', () => {
    expect(() => loadConfig({ DATA_DIR: dir.path, PORT: 'eighty', ACCESS_TOKEN_TTL: 'soon', REDIS_URL: 'http://x', LOG_LEVEL: 'loud' })).toThrowMatching(
      (e) => ['PORT', 'ACCESS_TOKEN_TTL', 'REDIS_URL', 'LOG_LEVEL'].every((name) => e.message.includes(name)),
    );
    expect(() => loadConfig({ DATA_DIR: dir.path, DATABASE_URL: 'mysql://x' })).toThrowError(ConfigError, /DATABASE_URL/);
  });

  it('applies the call settings’ defaults', () => {
    expect(loadConfig({ DATA_DIR: dir.path, JWT_SECRET: 'x' }).calls).toEqual({
      ringTimeoutSeconds: 20,
      maxWaitSeconds: 300,
      wrapUpSeconds: 60,
      wrapUpMaxSeconds: 300,
      dispositionRequired: false,
      presenceGraceSeconds: 30,
      callerGraceSeconds: 10,
      mediaTimeoutSeconds: 30,
      shortAbandonSeconds: 5,
      dispositions: DEFAULT_DISPOSITIONS,
      deadlinePollMs: 250,
      redisRoomsKey: 'switchboard',
      nodeHeartbeatMs: 5000,
    });
  });

  it('reads call timers and a comma-separated disposition list', () => {
    const { calls } = loadConfig({ DATA_DIR: dir.path, JWT_SECRET: 'x', RING_TIMEOUT_SECONDS: '1', DEADLINE_POLL_MS: '50', DISPOSITIONS: ' Solved, Referred ,,Solved' });
    expect(calls.ringTimeoutSeconds).toBe(1);
    expect(calls.deadlinePollMs).toBe(50);
    expect(calls.dispositions).toEqual(['Solved', 'Referred']);
  });

  it('reads the wrap-up limit and whether a disposition is required, refusing a limit below the wrap-up time', () => {
    const base = { DATA_DIR: dir.path, JWT_SECRET: 'x' };
    expect(loadConfig({ ...base, WRAP_UP_MAX_SECONDS: '120', DISPOSITION_REQUIRED: 'true' }).calls).toEqual(
      jasmine.objectContaining({ wrapUpMaxSeconds: 120, dispositionRequired: true }),
    );
    expect(loadConfig({ ...base, WRAP_UP_SECONDS: '600' }).calls.wrapUpMaxSeconds).withContext('the default follows a longer wrap-up').toBe(600);
    expect(() => loadConfig({ ...base, WRAP_UP_SECONDS: '90', WRAP_UP_MAX_SECONDS: '60' })).toThrowError(ConfigError, /WRAP_UP_MAX_SECONDS: must be at least WRAP_UP_SECONDS \(90\)/);
    expect(() => loadConfig({ ...base, DISPOSITION_REQUIRED: 'yes' })).toThrowError(ConfigError, /DISPOSITION_REQUIRED/);
  });

  it('names every invalid call setting, with the other variables', () => {
    const env = { DATA_DIR: dir.path, PORT: 'eighty', RING_TIMEOUT_SECONDS: '0', MAX_WAIT_SECONDS: 'long', DISPOSITIONS: ' , ', REDIS_ROOMS_KEY: 'a b', NODE_HEARTBEAT_MS: '10' };
    expect(() => loadConfig(env)).toThrowMatching(
      (e) => e instanceof ConfigError && ['PORT', 'RING_TIMEOUT_SECONDS', 'MAX_WAIT_SECONDS', 'DISPOSITIONS', 'REDIS_ROOMS_KEY', 'NODE_HEARTBEAT_MS'].every((n) => e.message.includes(n)),
    );
  });

  describe('ICE servers', () => {
    const secret = 'turn-secret-0123456789';

    it('has none by default: calls use host candidates only, as on one network', () => {
      expect(loadConfig({ DATA_DIR: dir.path, JWT_SECRET: 'x' }).ice).toEqual({
        stunUrls: [],
        turnUrls: [],
        turnSecret: null,
        turnCredentialTtlSeconds: 3600,
        transportPolicy: 'all',
      });
    });

    it('reads STUN and TURN URL lists, the secret, the credential lifetime and the relay policy', () => {
      const { ice } = loadConfig({
        DATA_DIR: dir.path,
        JWT_SECRET: 'x',
        STUN_URLS: ' stun:stun.example.org , stun:[2001:db8::1]:3478',
        TURN_URLS: 'turn:10.0.0.5?transport=udp,turns:turn.example.org:5349?transport=tcp',
        TURN_SECRET: secret,
        TURN_CREDENTIAL_TTL: '15m',
        ICE_TRANSPORT_POLICY: 'relay',
      });
      expect(ice).toEqual({
        stunUrls: ['stun:stun.example.org', 'stun:[2001:db8::1]:3478'],
        turnUrls: ['turn:10.0.0.5?transport=udp', 'turns:turn.example.org:5349?transport=tcp'],
        turnSecret: secret,
        turnCredentialTtlSeconds: 900,
        transportPolicy: 'relay',
      });
    });

    it('stops start-up naming each malformed ICE variable', () => {
      const cases: [Record<string, string>, string][] = [
        [{ STUN_URLS: 'turn:turn.example.org' }, 'STUN_URLS'],
        [{ STUN_URLS: 'stun:stun.example.org?transport=udp' }, 'STUN_URLS'],
        [{ TURN_URLS: 'https://turn.example.org', TURN_SECRET: secret }, 'TURN_URLS'],
        [{ TURN_URLS: 'turn:user:pass@turn.example.org', TURN_SECRET: secret }, 'TURN_URLS'],
        [{ TURN_URLS: 'turn:turn.example.org?transport=sctp', TURN_SECRET: secret }, 'TURN_URLS'],
        [{ TURN_URLS: 'turn:turn.example.org' }, 'TURN_SECRET'],
        [{ TURN_URLS: 'turn:turn.example.org', TURN_SECRET: 'short' }, 'TURN_SECRET'],
        [{ TURN_SECRET: secret }, 'TURN_SECRET'],
        [{ TURN_URLS: 'turn:turn.example.org', TURN_SECRET: secret, TURN_CREDENTIAL_TTL: '10s' }, 'TURN_CREDENTIAL_TTL'],
        [{ TURN_URLS: 'turn:turn.example.org', TURN_SECRET: secret, TURN_CREDENTIAL_TTL: 'soon' }, 'TURN_CREDENTIAL_TTL'],
        [{ ICE_TRANSPORT_POLICY: 'relay-only' }, 'ICE_TRANSPORT_POLICY'],
        [{ ICE_TRANSPORT_POLICY: 'relay' }, 'ICE_TRANSPORT_POLICY'],
      ];
      for (const [env, name] of cases) {
        expect(() => loadConfig({ DATA_DIR: dir.path, JWT_SECRET: 'x', ...env }))
          .withContext(JSON.stringify(env))
          .toThrowMatching((e) => e instanceof ConfigError && e.message.includes(`${name}:`));
      }
    });
  });
});
