/**
 * The messages between the logic thread (services/kdf) and the key worker (./index.ts). WeChat
 * copies each message between threads as plain data, so bytes travel as base64url strings.
 */
import type { KeyBackupJson } from '../../../shared/api';

/**
 * Work for the worker: make a key pair and seal it under a master key (registration), seal a
 * private key (master key change), or open a backup (unlock).
 */
export type KdfRequest =
  | {
      id: number;
      op: 'create';
      masterKey: string;
      iterations: number;
      /** Random bytes drawn on the logic thread: the private key's draws, then salt, then IV. */
      random: string;
    }
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

/** What the worker is doing: generating the key pair, or PBKDF2 and the backup around it. */
export type KdfPhase = 'keys' | 'kdf';

/** The worker's answers, all carrying the request's id. */
export type KdfReply =
  | { id: number; type: 'progress'; phase: KdfPhase }
  | { id: number; type: 'created'; privateKey: string; publicKey: string; backup: KeyBackupJson }
  | { id: number; type: 'sealed'; backup: KeyBackupJson }
  | { id: number; type: 'unlocked'; privateKey: string }
  | { id: number; type: 'error'; name: string; message: string };
