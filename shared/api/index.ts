/** The Mifeng HTTP API contract (`/api/v1`): zod/mini schemas and types for both sides. */
export * from './auth';
export * from './common';
export * from './envelopes';
export * from './health';
export * from './me';
export * from './recipients';
