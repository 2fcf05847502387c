// The inventory: Ansible's INI, YAML and JSON inventories read exactly as
// Ansible reads them. Reading an inventory never opens a connection.

export type { HostConnectionVars, Inventory, InventoryGroup, InventoryHost, Vars } from './types.ts';
export { loadInventory, parseInventory, parseHostList, extensionOf, MAX_INVENTORY_BYTES, type LoadOptions } from './load.ts';
export { hostVars, groupHosts, mergedVars, exportHostVars, exportGroupVars } from './vars.ts';
export { selectHosts, splitPattern } from './patterns.ts';
export { connectionVars } from './connection.ts';
export { listJson, yamlInventory, graph, hostJson } from './ansible-json.ts';
export { validateInventory } from './schema.ts';
export { inventoryWarnings, hostLine, varLine } from './meta.ts';
export { expandHostRange, expandHostPattern } from './ranges.ts';
