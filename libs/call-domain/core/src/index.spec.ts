import { CALL_DOMAIN } from './index';
describe('placeholder', () => { it('exists', () => expect(CALL_DOMAIN).toBe(1)); });
