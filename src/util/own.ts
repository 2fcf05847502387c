// Setting a key that came from a file on a plain object: `__proto__` (a
// legal YAML/INI variable name) must become an own property, not the prototype.

export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** Object.assign without the __proto__ trap */
export function assignOwn(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(source)) setOwn(target, k, v);
  return target;
}
