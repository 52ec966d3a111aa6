/**
 * The messages between the logic thread (services/kdf) and the key worker (./index.ts). WeChat
 * copies each message between threads as plain data, so bytes travel as base64url strings.
 */
import type { EnvelopeJson, KeyBackupJson } from '../../../shared/api';
import type { SignedTreeHead } from '../../../shared/transparency';

/**
 * Work for the worker: make a key pair and seal it under a master key (registration), seal a
 * private key (master key change), open a backup (unlock), or seal a letter to many recipients.
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
  | { id: number; op: 'unlock'; backup: KeyBackupJson; publicKey: string; masterKey: string }
  | {
      id: number;
      op: 'sealLetter';
      /** sealEnvelope's input, keys as base64url and times as ISO strings. */
      sender: { user: string; privateKey: string; publicKey: string };
      recipients: { user: string; publicKey: string }[];
      content: string;
      remark: string;
      expiresAt: string | null;
      head: SignedTreeHead | null;
      maxOpens: number | null;
      /** The letter's createdAt. */
      now: string;
      /** Random bytes drawn on the logic thread, in sealEnvelope's order, with a surplus for rejected nonces. */
      random: string;
    };

/** What the worker is doing: generating the key pair, or PBKDF2 and the backup around it. */
export type KdfPhase = 'keys' | 'kdf';

/** The worker's answers, all carrying the request's id. */
export type KdfReply =
  | { id: number; type: 'progress'; phase: KdfPhase }
  | { id: number; type: 'created'; privateKey: string; publicKey: string; backup: KeyBackupJson }
  | { id: number; type: 'sealed'; backup: KeyBackupJson }
  | { id: number; type: 'unlocked'; privateKey: string }
  | { id: number; type: 'letterSealed'; envelope: EnvelopeJson }
  | { id: number; type: 'error'; name: string; message: string };
