export * from './braid-schema';
export * from './projects';
export * from './receipts';
export * from './canonical-events';
export * from './lineage';
export * from './rejected-events';
export * from './duplicates';
export * from './identities';
