/**
 * The log key of every page test's server (a test key, never used anywhere else). The page tests'
 * build carries its public key (harness/build.ts), as a release build carries the real log's.
 */
export const TEST_LOG_SIGNING_KEY = 'kfR4CFwUqTsAREILMZ_iHXKvBgHzdVKebyU9VkH-i5M';
export const TEST_LOG_KEY =
  'BJO5z23slQA0qsOO-Pq80qHNHFaV8Pa5mKQ0l965ysRQexo_HlXGvUJoE-7wkbww1bQ0XMFGJdZunshTeoV7SeY';
