/**
 * Generates tests/vectors/protocol-v3.json, the published test vectors of envelope version 3
 * (docs/protocol.md §Envelope version 3): version 2's letters sealed as version 3, with the wrap
 * hashes their signatures cover, letters whose wraps the server purged and the refusals of wrap
 * hashes. Built by scripts/make-vectors-v2.ts's builder, under labels "mifeng/protocol-v3/vectors/…".
 *
 *   npx tsx scripts/make-vectors-v3.ts           writes the file
 *   npx tsx scripts/make-vectors-v3.ts --check   exits 1 if the file differs from what it would write
 */
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from './make-vectors';
import { buildLimitVectors } from './make-vectors-v2';

export const VECTORS_V3_PATH = fileURLToPath(new URL('../tests/vectors/protocol-v3.json', import.meta.url));

/** The file's exact text. */
export function v3VectorsText(): string {
  return `${JSON.stringify(buildLimitVectors(3), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeOrCheck(VECTORS_V3_PATH, v3VectorsText(), 'npx tsx scripts/make-vectors-v3.ts');
}
