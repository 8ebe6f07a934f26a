import { createSecretKey } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import type { SessionUser } from '@switchboard/call-domain';
import { AccessTokens } from './access-tokens';

const SECRET = 'unit-test-secret-unit-test-secret-123';
const USER: SessionUser = { id: 'u-1', username: 'alex', role: 'agent', displayName: 'Alex Agent' };

/** As AuthModule configures it: the secret as a key object. */
function tokens(secret = SECRET, expiresIn = 60): AccessTokens {
  return new AccessTokens(new JwtService({ secret: createSecretKey(Buffer.from(secret)), signOptions: { algorithm: 'HS256', expiresIn }, verifyOptions: { algorithms: ['HS256'] } }));
}

describe('AccessTokens', () => {
  it('issues a token that verifies back to the same user', async () => {
    const t = tokens();
    expect(t.verify(await t.issue(USER, 's-1'))).toEqual(USER);
  });

  it('carries the AccessTokenClaims with an expiry, signed HS256', async () => {
    const token = await tokens(SECRET, 120).issue(USER, 's-1');
    const [header, payload] = token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    expect(header.alg).toBe('HS256');
    expect(payload).toEqual(jasmine.objectContaining({ sub: 'u-1', username: 'alex', role: 'agent', displayName: 'Alex Agent', sid: 's-1' }));
    expect(payload.exp - payload.iat).toBe(120);
  });

  it('accepts a token signed with the same secret given as a string (tokens issued before the key object)', async () => {
    const plain = new JwtService({ secret: SECRET, signOptions: { algorithm: 'HS256', expiresIn: 60 } });
    const token = await plain.signAsync({ sub: 'u-1', username: 'alex', role: 'agent', displayName: 'Alex Agent' });
    expect(tokens().verify(token)).toEqual(USER);
    expect(plain.verify(await tokens().issue(USER, 's-1'))).toEqual(jasmine.objectContaining({ sub: 'u-1' }));
  });

  it('refuses an expired token', async () => {
    const jwt = new JwtService({ secret: SECRET });
    const expired = await jwt.signAsync({ sub: 'u-1', username: 'alex', role: 'agent', displayName: 'A', exp: Math.floor(Date.now() / 1000) - 5 });
    expect(tokens().verify(expired)).toBeNull();
  });

  it('refuses a token signed with another secret', async () => {
    const foreign = await tokens('another-secret-another-secret-another').issue(USER, 's-1');
    expect(tokens().verify(foreign)).toBeNull();
  });

  it('refuses malformed and missing tokens', () => {
    const t = tokens();
    for (const bad of [undefined, null, 42, {}, '', 'abc', 'a.b.c', 'x'.repeat(5000)]) {
      expect(t.verify(bad)).withContext(String(bad)).toBeNull();
    }
  });

  it('refuses an unsigned (alg none) token', () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'u-1', username: 'x', role: 'supervisor', displayName: 'X' })}.`;
    expect(tokens().verify(unsigned)).toBeNull();
  });

  it('refuses a validly signed token with unexpected claims', async () => {
    const jwt = new JwtService({ secret: SECRET });
    const wrongRole = await jwt.signAsync({ sub: 'u-1', username: 'alex', role: 'admin', displayName: 'A' });
    expect(tokens().verify(wrongRole)).toBeNull();
  });
});
