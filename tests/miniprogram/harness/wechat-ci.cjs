// Runs WeChat's own offline tooling (miniprogram-ci) on built projects and prints one JSON line of
// results: for each project folder given, the compile result (WeChat's JSON schemas, wcc for WXML,
// wcsc for WXSS, its JS pass) and the code-quality scan.
// Run it inside a network namespace (`unshare -rn`): the project attributes that miniprogram-ci
// would fetch from WeChat are given locally, and any other online call fails at once.
// CommonJS because miniprogram-ci is; its own process because it leaves handles open and logs freely.
const ci = require('miniprogram-ci');

async function check(projectPath) {
  const project = new ci.Project({
    appid: 'wx0000000000000000',
    type: 'miniProgram',
    projectPath,
    // Neither call below signs anything; the constructor only insists that a key is given.
    privateKey: 'unused offline',
    attr: async () => ci.DefaultProjectAttr,
  });
  const result = { projectPath };
  try {
    const files = await ci.getCompiledResult({ project, setting: { useProjectConfig: true } });
    result.compiled = Object.keys(files).length;
  } catch (err) {
    result.compileError = String(err?.message ?? err);
  }
  try {
    const quality = await ci.checkCodeQuality(project);
    result.quality = quality.map(({ name, success, text }) => ({ name, success, text }));
  } catch (err) {
    result.qualityError = String(err?.message ?? err);
  }
  return result;
}

(async () => {
  const results = [];
  for (const path of process.argv.slice(2)) results.push(await check(path));
  process.stdout.write(`\nWECHAT-CI-RESULT ${JSON.stringify(results)}\n`);
  process.exit(0);
})();
