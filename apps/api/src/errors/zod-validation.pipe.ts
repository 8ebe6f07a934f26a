import { Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { ProblemException } from './problem';

/**
 * Validates (and normalises) a request part against a zod schema from
 * `@switchboard/call-domain/schemas`, answering a 400 problem that lists each finding.
 *
 * @example `login(@Body(new ZodValidationPipe(loginRequestSchema)) body: LoginRequest)`
 */
@Injectable()
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  /** Returns the parsed value or throws a `bad_request` problem. */
  transform(value: unknown): z.output<S> {
    if (value === undefined) {
      throw new ProblemException('bad_request', 'The request needs a JSON body (Content-Type: application/json)');
    }
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    const errors = result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
    const summary = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
    throw new ProblemException('bad_request', `Invalid request: ${summary}`, errors);
  }
}
