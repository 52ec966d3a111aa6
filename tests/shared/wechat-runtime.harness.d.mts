// Types of wechat-runtime.harness.mjs: the result is what its in-context scenario reports.
export declare function runInWeChatRuntime(
  libPath: string,
  vectorsText: string,
): Promise<{
  errors: Record<string, string>;
  opened: { content: string; remark: string };
  vector: string;
  unlockedMatches: boolean;
  codegen: string[];
  presentGlobals: string[];
  codegenBlocked: boolean;
  keygenMs: number;
  loadMs: number;
  scenarioMs: number;
  firstSealMs: number;
  firstOpenMs: number;
  backupAndUnlock10kMs: number;
}>;

/** The same scenario as one program for JavaScriptCore's shell, printing the same JSON. */
export declare function jscProgram(libCode: string, vectorsText: string, randomHex: string): string;
