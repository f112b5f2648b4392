/**
 * Freezes a value and everything reachable from it, so a decision once made cannot
 * be changed by whoever receives it. Objects already frozen are still walked (a
 * shallow `Object.freeze` elsewhere leaves their children open), and cycles end.
 */
export function deepFreeze<T>(value: T, seen: WeakSet<object> = new WeakSet()): T {
  if (value !== null && typeof value === "object" && !seen.has(value)) {
    seen.add(value);
    for (const child of Object.values(value)) deepFreeze(child, seen);
    Object.freeze(value);
  }
  return value;
}
