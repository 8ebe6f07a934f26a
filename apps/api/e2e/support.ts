import type { LoginResponse, Problem, Role } from '@switchboard/call-domain';
import { DEMO_PASSWORD, DEMO_USERS } from '../src/users/demo-users';

export { DEMO_PASSWORD, DEMO_USERS };

/** What the e2e suites read from an HTTP answer. */
export interface Answer<T = unknown> {
  status: number;
  contentType: string;
  body: T;
  text: string;
}

/** Sends one request to the running app; `body` objects are sent as JSON, strings as is. */
export async function call<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; contentType?: string } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const res = await fetch(baseUrl + path, {
    method,
    headers,
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  const body = (contentType.includes('json') && text ? JSON.parse(text) : text) as T;
  return { status: res.status, contentType, body, text };
}

/** Signs in as a demo user of `role` (the first one) and returns the answer body. */
export async function signIn(baseUrl: string, role: Role): Promise<LoginResponse> {
  const user = DEMO_USERS.find((u) => u.role === role);
  const res = await call<LoginResponse>(baseUrl, 'POST', '/api/auth/login', { body: { username: user?.username, password: DEMO_PASSWORD } });
  if (res.status !== 200) throw new Error(`Sign-in as ${role} failed: ${res.status} ${res.text}`);
  return res.body;
}

/** Expects a problem+json answer with this status and code; returns the problem. */
export function expectProblem(res: Answer, status: number, code: Problem['code']): Problem {
  expect(res.status).withContext(res.text).toBe(status);
  expect(res.contentType).toMatch(/^application\/problem\+json/);
  const problem = res.body as Problem;
  expect(problem).toEqual(jasmine.objectContaining({ type: 'about:blank', status, code, title: jasmine.any(String), detail: jasmine.any(String) }));
  return problem;
}
