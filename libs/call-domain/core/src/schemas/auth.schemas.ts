import { z } from 'zod';
import { ROLES } from '../auth';

/** `POST /api/auth/login`: exactly a username and a password, nothing else. */
export const loginRequestSchema = z
  .object({
    username: z.string().trim().min(1, 'Username is required').max(64),
    password: z.string().min(1, 'Password is required').max(256),
  })
  .strict();

/** A role name as sent by a client or a tool. */
export const roleSchema = z.enum(ROLES);
