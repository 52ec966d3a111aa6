/** The Mifeng HTTP API contract (`/api/v1`): zod/mini schemas and types for both sides. */
export * from './auth';
export * from './common';
export * from './contract';
export * from './envelopes';
export * from './expiry';
export * from './fetch-transport';
export * from './health';
export * from './keys';
export * from './links';
export * from './log';
export * from './me';
export * from './notifications';
export * from './pending';
export * from './recipients';
export * from './upload';
