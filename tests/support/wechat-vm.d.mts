// Types of wechat-vm.mjs: what its runs in a WeChat-shaped context report.
export declare const DEFAULT_DIST: string;

export declare function runLibInWeChatRuntime(
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

export declare function runMiniProgramInWeChatRuntime(
  dist?: string,
  options?: { iosPromise?: boolean },
): Promise<{
  promiseIsPolyfill: boolean;
  beforeLaunch: string;
  opened: string;
  openState: string;
  qrReady: boolean;
  qrCanvas: { width: number; rects: number; scaled: [number, number] | null } | null;
  presentGlobals: string[];
  codegen: string[];
  pagesRegistered: number;
  pagesListed: number;
  componentsRegistered: number;
  modulesLoaded: number;
  libLoadMs: number;
  pagesLoadMs: number;
  firstSealMs: number;
  libLoadAndFirstSealMs: number;
  /** The strength chunk: required, dictionaries ranked. */
  strengthLoadMs: number;
  strength: { verdict: string; pattern: string | null };
  passphrase: string;
}>;

/** The lib scenario as one program for JavaScriptCore's shell, printing the same JSON. */
export declare function jscProgram(libCode: string, vectorsText: string, randomHex: string): string;
