/**
 * The messages between the logic thread (services/kdf) and the key worker (./index.ts). WeChat
 * copies each message between threads as plain data, so bytes travel as base64url strings.
 */
import type { KeyBackupJson } from '../../../shared/api';

/** Work for the worker: seal a private key under a master key, or open a backup. */
export type KdfRequest =
  | {
      id: number;
      op: 'seal';
      privateKey: string;
      publicKey: string;
      masterKey: string;
      iterations: number;
      /** Random bytes drawn on the logic thread (the worker has no wx.getRandomValues): salt, then IV. */
      random: string;
    }
  | { id: number; op: 'unlock'; backup: KeyBackupJson; publicKey: string; masterKey: string };

/** The worker's answers, all carrying the request's id. */
export type KdfReply =
  | { id: number; type: 'progress'; phase: 'kdf' }
  | { id: number; type: 'sealed'; backup: KeyBackupJson }
  | { id: number; type: 'unlocked'; privateKey: string }
  | { id: number; type: 'error'; name: string; message: string };
