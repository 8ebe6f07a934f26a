import { createUserRequestSchema, loginRequestSchema } from '@switchboard/call-domain/schemas';
import { ProblemException } from './problem';
import { toProblem } from './problem.filter';
import { ZodValidationPipe } from './zod-validation.pipe';

function problemOf(run: () => unknown) {
  try {
    run();
  } catch (err) {
    return toProblem(err);
  }
  throw new Error('expected a refusal');
}

describe('ZodValidationPipe', () => {
  const login = new ZodValidationPipe(loginRequestSchema);

  it('returns the parsed value', () => {
    expect(login.transform({ username: ' alex ', password: 'pw' })).toEqual({ username: 'alex', password: 'pw' });
  });

  it('answers a 400 problem listing each finding', () => {
    const p = problemOf(() => login.transform({ username: 5, extra: true }));
    expect(p).toEqual(jasmine.objectContaining({ status: 400, code: 'bad_request', title: 'Bad Request' }));
    expect(p.errors?.map((e) => e.path)).toEqual(jasmine.arrayWithExactContents(['username', 'password', '']));
    expect(p.detail).toContain('Unrecognized key');
  });

  it('says a body is needed when there is none', () => {
    expect(problemOf(() => login.transform(undefined)).detail).toMatch(/JSON body/);
  });

  it('names an unknown role', () => {
    const p = problemOf(() =>
      new ZodValidationPipe(createUserRequestSchema).transform({ username: 'zed', displayName: 'Zed', role: 'admin', password: 'longenough' }),
    );
    expect(p.errors).toEqual([{ path: 'role', message: jasmine.stringMatching(/student.*agent.*supervisor/) }]);
  });
});

describe('toProblem', () => {
  it('keeps a ProblemException as thrown', () => {
    expect(toProblem(new ProblemException('conflict', 'Taken'))).toEqual({ type: 'about:blank', title: 'Conflict', status: 409, detail: 'Taken', code: 'conflict' });
  });

  it('hides the details of unexpected errors', () => {
    const p = toProblem(new Error('password column missing'));
    expect(p).toEqual(jasmine.objectContaining({ status: 500, code: 'internal' }));
    expect(p.detail).not.toContain('password');
  });
});
