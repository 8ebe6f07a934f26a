import { hashPassword, verifyPassword } from './password';

describe('password hashing', () => {
  it('accepts the right password', async () => {
    const hash = await hashPassword('correct horse');
    expect(await verifyPassword('correct horse', hash)).toBeTrue();
  });

  it('refuses a wrong password', async () => {
    const hash = await hashPassword('correct horse');
    expect(await verifyPassword('correct hors', hash)).toBeFalse();
    expect(await verifyPassword('', hash)).toBeFalse();
  });

  it('writes the algorithm and its parameters into the hash, never the password', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(hash).not.toContain('correct');
  });

  it('salts each hash differently', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a).not.toEqual(b);
    expect(a.split('$')[4]).not.toEqual(b.split('$')[4]);
  });

  it('refuses a tampered hash', async () => {
    const parts = (await hashPassword('secret12')).split('$');
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    const tampered = [
      [...parts.slice(0, 5), flip(parts[5])],
      [...parts.slice(0, 4), flip(parts[4]), parts[5]],
      ['scrypt', '1024', ...parts.slice(2)],
      ['bcrypt', ...parts.slice(1)],
      ['scrypt', '16385', ...parts.slice(2)],
      ['scrypt', String(2 ** 30), ...parts.slice(2)],
    ].map((p) => p.join('$'));
    for (const hash of [...tampered, '', 'garbage', parts.slice(0, 5).join('$')]) {
      expect(await verifyPassword('secret12', hash)).withContext(hash).toBeFalse();
    }
  });

  it('treats composed and decomposed Unicode as the same password', async () => {
    const hash = await hashPassword('caf\u00e9-password');
    expect(await verifyPassword('cafe\u0301-password', hash)).toBeTrue();
  });
});
