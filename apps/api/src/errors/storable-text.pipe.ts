import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { UNSTORABLE_TEXT_MESSAGE, findUnstorableText } from '@switchboard/call-domain/schemas';
import { ProblemException } from './problem';

const WHERE: Partial<Record<ArgumentMetadata['type'], string>> = { body: 'body', query: 'query', param: 'path' };

/**
 * The global pipe that refuses, with a 400 problem, a request body, query string or path
 * parameter holding text no database can store (NUL, unpaired surrogates; see
 * `findUnstorableText`), before any schema or service sees it. Socket payloads get the same
 * check in `ackFor`.
 */
@Injectable()
export class StorableTextPipe implements PipeTransform<unknown, unknown> {
  /** Returns `value` untouched, or throws a `bad_request` problem naming the field. */
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const where = WHERE[metadata.type];
    if (where === undefined) return value;
    const found = findUnstorableText(value);
    if (found === null) return value;
    const path = [metadata.data, found].filter(Boolean).join('.');
    throw new ProblemException('bad_request', `Invalid request: ${path ? `${where} ${path}` : where}: ${UNSTORABLE_TEXT_MESSAGE}`, [
      { path, message: UNSTORABLE_TEXT_MESSAGE },
    ]);
  }
}
