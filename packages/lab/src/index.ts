// What passthru's CLI uses of the lab (`passthru demo`, `passthru lab up|down`):
// the contract in src/commands/lab-module.ts of the product.
export { startEmbeddedCluster } from './embedded/cluster.ts';
export { labDown, labUp } from './embedded/commands.ts';
export { demoCluster } from './specs.ts';
export { LAB_SECRETS } from './secrets.ts';
