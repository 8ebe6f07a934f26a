export const CALL_DOMAIN = 1;
