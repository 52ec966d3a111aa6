/**
 * The key worker: PBKDF2-HMAC-SM3 and the SM4-GCM backup around it, off the logic thread, so the
 * page keeps answering while a backup is sealed or opened (seconds on iOS). WeChat runs this file
 * in its own thread with a global `worker` (onMessage/postMessage) and no `wx`; it may require only
 * files inside the `workers` folder, so scripts/build-lib.mjs bundles it, with the parts of
 * shared/ it uses, into the single file workers/kdf/index.js.
 */
import { base64urlDecode, base64urlEncode } from '../../../shared/encoding';
import { isMifengError } from '../../../shared/errors';
import { sealKeyBackup, unlockKeyBackup } from '../../../shared/protocol';
import { randomFromBytes } from '../../services/kdf/stream';
import type { KdfReply, KdfRequest } from './messages';

interface WorkerScope {
  onMessage(listener: (message: KdfRequest) => void): void;
  postMessage(message: KdfReply): void;
}
declare const worker: WorkerScope;

function run(request: KdfRequest): KdfReply {
  const { id } = request;
  worker.postMessage({ id, type: 'progress', phase: 'kdf' });
  const publicKey = base64urlDecode(request.publicKey);
  if (request.op === 'seal') {
    const privateKey = base64urlDecode(request.privateKey);
    try {
      const backup = sealKeyBackup({ user: '', privateKey, publicKey }, request.masterKey, {
        iterations: request.iterations,
        random: randomFromBytes(base64urlDecode(request.random)),
      });
      return { id, type: 'sealed', backup };
    } finally {
      privateKey.fill(0);
    }
  }
  const privateKey = unlockKeyBackup(request.backup, publicKey, request.masterKey);
  const reply: KdfReply = { id, type: 'unlocked', privateKey: base64urlEncode(privateKey) };
  privateKey.fill(0);
  return reply;
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
