/**
 * Texts the API sends and the portal shows, kept in one place so both say the same thing.
 */

/** The message of the `no_agents_available` error: a call refused because nobody is staffed. */
export const NO_AGENTS_MESSAGE = 'No agents are available right now. Please try again later.';
