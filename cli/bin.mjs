#!/usr/bin/env node
// `npx mifeng …` (the `bin` of package.json): runs cli/main.ts through the repository's own tsx, so
// nobody needs a TypeScript runtime on their PATH.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
