import { turnCredential } from './ice-credentials';

describe('turnCredential', () => {
  it('makes coturn\'s REST-scheme credential: "<expiry>:<user>" and its base64 HMAC-SHA1', () => {
    // Expected value from `printf '1700000000:user-1' | openssl dgst -sha1 -hmac north -binary | base64`.
    expect(turnCredential('north', 'user-1', 1_700_000_000)).toEqual({ username: '1700000000:user-1', credential: 'G86sOlIp58mcfrsDqnp1wtU2rII=' });
  });
});
