import { HttpRequest } from '@angular/common/http';
import { HttpTestingController, TestRequest } from '@angular/common/http/testing';

/**
 * Waits (a few macrotasks at most) for requests matching `match` and answers them with `body`.
 * HTTP requests keep an Angular app unstable, so a harness action that causes one is started
 * without `await`, answered with this, then awaited.
 */
export async function answer(
  backend: HttpTestingController,
  match: (request: HttpRequest<unknown>) => boolean,
  body: unknown,
): Promise<TestRequest[]> {
  for (let i = 0; i < 50; i++) {
    const requests = backend.match(match);
    if (requests.length) {
      for (const r of requests) if (!r.cancelled) r.flush(body as never);
      return requests;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('No matching request was sent.');
}

/** Matches requests to `path` (any query). */
export function to(path: string, method = 'GET'): (request: HttpRequest<unknown>) => boolean {
  return (request) => request.method === method && request.url === path;
}
