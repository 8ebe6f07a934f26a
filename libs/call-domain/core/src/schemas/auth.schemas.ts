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

/** A new account's username: 3–32 letters, digits, `.`, `_` or `-`; stored lower-case. */
export const usernameSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._-]{3,32}$/, 'Username must be 3 to 32 letters, digits, ".", "_" or "-"')
  .transform((v) => v.toLowerCase());

/** A new password: at least 8 characters. */
export const newPasswordSchema = z
  .string()
  .min(8, 'Password must be at least 8 characters')
  .max(256, 'Password must be at most 256 characters');

/** `POST /api/users` (supervisors) and the `user:create` tool: one new account. */
export const createUserRequestSchema = z
  .object({
    username: usernameSchema,
    displayName: z.string().trim().min(1, 'Display name is required').max(80, 'Display name must be at most 80 characters'),
    role: roleSchema,
    password: newPasswordSchema,
  })
  .strict();
