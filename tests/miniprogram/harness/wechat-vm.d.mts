// Types of wechat-vm.mjs: what its run in a WeChat-shaped context reports.
export declare const DEFAULT_DIST: string;
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
