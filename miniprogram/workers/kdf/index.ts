/**
 * The key worker: key generation, PBKDF2-HMAC-SM3 and the SM4-GCM backup around it, and sealing a
 * letter to many recipients, off the logic thread, so the page keeps answering while keys are made,
 * a backup is sealed or opened (seconds on iOS) or a large letter is sealed. WeChat runs this file
 * in its own thread with a global `worker` (onMessage/postMessage) and no `wx`; it may require only
 * files inside the `workers` folder, so scripts/build-lib.mjs bundles it, with the parts of
 * shared/ it uses, into the single file workers/kdf/index.js.
 */

import { sm2GenerateKeyPair } from '../../../shared/crypto';
import { base64urlDecode, base64urlEncode } from '../../../shared/encoding';
import { isMifengError } from '../../../shared/errors';
import { sealEnvelope, sealKeyBackup, unlockKeyBackup } from '../../../shared/protocol';
import { randomFromBytes } from '../../services/kdf/stream';
import type { KdfReply, KdfRequest } from './messages';

interface WorkerScope {
  onMessage(listener: (message: KdfRequest) => void): void;
  postMessage(message: KdfReply): void;
}
declare const worker: WorkerScope;

function sealLetter(request: Extract<KdfRequest, { op: 'sealLetter' }>): KdfReply {
  const privateKey = base64urlDecode(request.sender.privateKey);
  const random = base64urlDecode(request.random);
  try {
    const envelope = sealEnvelope(
      {
        sender: {
          user: request.sender.user,
          privateKey,
          publicKey: base64urlDecode(request.sender.publicKey),
        },
        recipients: request.recipients.map((r) => ({
          user: r.user,
          publicKey: base64urlDecode(r.publicKey),
        })),
        content: request.content,
        remark: request.remark,
        expiresAt: request.expiresAt === null ? null : new Date(request.expiresAt),
        head: request.head,
        maxOpens: request.maxOpens,
      },
      { now: new Date(request.now), random: randomFromBytes(random) },
    );
    return { id: request.id, type: 'letterSealed', envelope };
  } finally {
    privateKey.fill(0);
    random.fill(0);
  }
}

function run(request: KdfRequest): KdfReply {
  const { id } = request;
  if (request.op === 'sealLetter') return sealLetter(request);
  if (request.op === 'unlock') {
    worker.postMessage({ id, type: 'progress', phase: 'kdf' });
    const privateKey = unlockKeyBackup(request.backup, base64urlDecode(request.publicKey), request.masterKey);
    const reply: KdfReply = { id, type: 'unlocked', privateKey: base64urlEncode(privateKey) };
    privateKey.fill(0);
    return reply;
  }
  const random = randomFromBytes(base64urlDecode(request.random));
  let keys: { privateKey: Uint8Array; publicKey: Uint8Array };
  if (request.op === 'create') {
    worker.postMessage({ id, type: 'progress', phase: 'keys' });
    keys = sm2GenerateKeyPair(random);
  } else {
    keys = { privateKey: base64urlDecode(request.privateKey), publicKey: base64urlDecode(request.publicKey) };
  }
  worker.postMessage({ id, type: 'progress', phase: 'kdf' });
  try {
    const backup = sealKeyBackup({ user: '', ...keys }, request.masterKey, {
      iterations: request.iterations,
      random,
    });
    if (request.op === 'seal') return { id, type: 'sealed', backup };
    const publicKey = base64urlEncode(keys.publicKey);
    return { id, type: 'created', privateKey: base64urlEncode(keys.privateKey), publicKey, backup };
  } finally {
    keys.privateKey.fill(0);
  }
}

worker.onMessage((request) => {
  let reply: KdfReply;
  try {
    reply = run(request);
  } catch (err) {
    const name = isMifengError(err) ? err.name : err instanceof Error ? err.name : 'Error';
    reply = {
      id: request.id,
      type: 'error',
      name,
      message: err instanceof Error ? err.message : String(err),
    };
  }
  worker.postMessage(reply);
});
