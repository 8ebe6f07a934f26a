import type { CallRecord, LoginResponse } from '@switchboard/call-domain';

/** Signs in over HTTP and returns the access token. */
export async function apiToken(baseUrl: string, username: string, password = 'switchboard'): Promise<string> {
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`sign-in of ${username} failed: ${res.status}`);
  return ((await res.json()) as LoginResponse).accessToken;
}

/** The stored record of the most recent call, as a supervisor reads it. */
export async function latestCall(baseUrl: string): Promise<CallRecord> {
  return (await apiGet<{ items: CallRecord[] }>(baseUrl, '/api/calls?sort=queuedAt&dir=desc&page=1&pageSize=1')).items[0];
}

// Sign-ins are limited per minute (LOGIN_ATTEMPTS_PER_MINUTE), so apiGet keeps one token per app and user.
const tokens = new Map<string, Promise<string>>();

/**
 * GET `path` (query included) as `username`, over HTTP outside any browser, and returns the
 * JSON body: the independent reading a spec compares a page with.
 */
export async function apiGet<T>(baseUrl: string, path: string, username = 'supervisor'): Promise<T> {
  const key = `${baseUrl} ${username}`;
  let token = tokens.get(key);
  if (!token) {
    token = apiToken(baseUrl, username);
    tokens.set(key, token);
    token.catch(() => tokens.delete(key));
  }
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${await token}` } });
  if (!res.ok) throw new Error(`GET ${path} failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}
