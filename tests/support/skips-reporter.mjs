// A node:test reporter that records every skipped suite and test (file, name, reason) as JSON
// lines, for scripts/test.mjs to name after node's own summary. Node's summary counts only the
// tests that were registered: a suite skipped as a whole (a missing service) hides its tests from
// `ℹ tests N`, so without this list a run without PostgreSQL looks like a smaller, green run.
//
// An event's `file` is where the suite was declared: a test file itself, named at once, or a helper
// (tests/server/databases.ts for every PostgreSQL suite), whose skips are held until the next test
// file completes (its own `test:complete`, named by its path). With two files running at once that
// last attribution can name the neighbour; the reason and the count stay right.
export default async function* skipsReporter(source) {
  let pending = [];
  for await (const event of source) {
    const { data } = event;
    if (event.type === 'test:complete' && data.nesting === 0 && data.name === data.file) {
      for (const skip of pending) yield `${JSON.stringify({ ...skip, file: data.file })}\n`;
      pending = [];
    }
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (data.skip === undefined || data.skip === false) continue;
    const skip = {
      file: data.file,
      name: data.name,
      suite: data.details?.type === 'suite',
      reason: data.skip === true ? '' : data.skip,
    };
    if (String(data.file).endsWith('.test.ts')) yield `${JSON.stringify(skip)}\n`;
    else pending.push(skip);
  }
  for (const skip of pending) yield `${JSON.stringify(skip)}\n`;
}
