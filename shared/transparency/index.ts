/**
 * The key transparency log (docs/transparency.md): RFC 9162 Merkle trees over SM3, leaves (key
 * events), signed tree heads and log key rotation. Pure: the server stores and the client checks.
 */

export type { LeafProof } from './client';
export { checkHeadConsistency, checkKeyInclusion, unexplainedOwnKey } from './client';
export type { LogKeyRotation, SignedTreeHead, TreeHead } from './head';
export {
  followLogKeyRotations,
  LogKeyRotationSchema,
  SignedTreeHeadSchema,
  signLogKeyRotation,
  signTreeHead,
  TreeHashSchema,
  TreeHeadSchema,
  TreeSizeSchema,
  treeHeadBytes,
  verifyTreeHead,
} from './head';
export type { LogEventKind, LogLeaf } from './leaf';
export { decodeLeaf, encodeLeaf, LOG_EVENT_KINDS, LogLeafSchema, MAX_LEAF_BYTES } from './leaf';
export type { NodeId, Range } from './merkle';
export {
  appendHashes,
  appendSiblings,
  completedNodes,
  consistencyRanges,
  emptyRoot,
  foldNodes,
  HASH_LENGTH,
  inclusionRanges,
  leafHash,
  nodeHash,
  perfectNodes,
  splitPoint,
  verifyConsistency,
  verifyInclusion,
} from './merkle';
