import { CALL_DOMAIN } from '@switchboard/call-domain';
console.log(CALL_DOMAIN);
