// Shell arithmetic ($(( )), (( )), for (( ; ; ))) over just-bash's parsed
// expression trees: integers, variables (whose values are expressions in
// turn), the C operators, assignments. Arrays and dynamic names are not
// simulated (supported.ts).
import { parseCached } from './parse-cache.ts';

export interface ArithNode {
  type: string;
  [key: string]: unknown;
}

export class ArithError extends Error {}

export interface ArithScope {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  special(name: string): string | undefined;
}

const SUPPORTED = new Set(['ArithNumber', 'ArithVariable', 'ArithSpecialVar', 'ArithBinary', 'ArithUnary', 'ArithTernary', 'ArithAssignment', 'ArithGroup', 'ArithNested']);

/** Can `evaluate` take this tree? */
export function arithOk(node: unknown): boolean {
  if (node === null || node === undefined) return true;
  const n = node as ArithNode;
  if (n.type === 'ArithmeticExpression') return arithOk(n['expression']);
  if (!SUPPORTED.has(n.type)) return false;
  if (n.type === 'ArithAssignment' && (n['subscript'] !== undefined || n['stringKey'] !== undefined)) return false;
  for (const k of ['left', 'right', 'operand', 'condition', 'consequent', 'alternate', 'value', 'expression']) {
    const child = n[k];
    if (typeof child === 'object' && child !== null && !arithOk(child)) return false;
  }
  return true;
}

function toInt(x: number): number {
  return Number.isFinite(x) ? Math.trunc(x) : 0;
}

/** The value of a variable as bash sees it in arithmetic: a number, or an expression to evaluate. */
function valueOf(text: string | undefined, scope: ArithScope, depth: number): number {
  if (text === undefined) return 0;
  const t = text.trim();
  if (t === '') return 0;
  if (/^[+-]?\d+$/.test(t)) {
    if (/^[+-]?0\d/.test(t)) return parseInt(t, 8) || 0;
    return Number(t);
  }
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) return parseInt(t.slice(2), 16);
  if (depth > 32) throw new ArithError(`${t}: expression recursion level exceeded`);
  let tree: ArithNode | undefined;
  try {
    const script = parseCached(`((${t}))`) as unknown as { statements: Array<{ pipelines: Array<{ commands: ArithNode[] }> }> };
    tree = (script.statements[0]?.pipelines[0]?.commands[0]?.['expression'] as ArithNode | undefined) ?? undefined;
  } catch {
    tree = undefined;
  }
  if (tree === undefined || !arithOk(tree)) throw new ArithError(`${t}: syntax error in expression`);
  return evaluate(tree, scope, depth + 1);
}

function assign(op: string, old: number, v: number): number {
  switch (op) {
    case '=':
      return v;
    case '+=':
      return old + v;
    case '-=':
      return old - v;
    case '*=':
      return old * v;
    case '/=':
      if (v === 0) throw new ArithError('division by 0');
      return toInt(old / v);
    case '%=':
      if (v === 0) throw new ArithError('division by 0');
      return old % v;
    case '<<=':
      return old * 2 ** v;
    case '>>=':
      return Math.floor(old / 2 ** v);
    case '&=':
      return Number(BigInt(old) & BigInt(v));
    case '|=':
      return Number(BigInt(old) | BigInt(v));
    case '^=':
      return Number(BigInt(old) ^ BigInt(v));
    default:
      throw new ArithError(`${op}: unknown operator`);
  }
}

/** Evaluate an arithmetic tree (ArithmeticExpression or one of its nodes). */
export function evaluate(node: ArithNode, scope: ArithScope, depth = 0): number {
  switch (node.type) {
    case 'ArithmeticExpression':
      return evaluate(node['expression'] as ArithNode, scope, depth);
    case 'ArithNumber':
      return toInt(node['value'] as number);
    case 'ArithVariable':
      return valueOf(scope.get(node['name'] as string), scope, depth);
    case 'ArithSpecialVar':
      return valueOf(scope.special(node['name'] as string), scope, depth);
    case 'ArithGroup':
    case 'ArithNested':
      return evaluate(node['expression'] as ArithNode, scope, depth);
    case 'ArithTernary':
      return evaluate(node['condition'] as ArithNode, scope, depth) !== 0 ? evaluate(node['consequent'] as ArithNode, scope, depth) : evaluate(node['alternate'] as ArithNode, scope, depth);
    case 'ArithAssignment': {
      const name = node['variable'] as string;
      const v = evaluate(node['value'] as ArithNode, scope, depth);
      const result = assign(node['operator'] as string, node['operator'] === '=' ? 0 : valueOf(scope.get(name), scope, depth), v);
      scope.set(name, String(result));
      return result;
    }
    case 'ArithUnary': {
      const op = node['operator'] as string;
      const operand = node['operand'] as ArithNode;
      if (op === '++' || op === '--') {
        if (operand.type !== 'ArithVariable') throw new ArithError(`${op}: assignment requires a variable`);
        const name = operand['name'] as string;
        const old = valueOf(scope.get(name), scope, depth);
        const nv = op === '++' ? old + 1 : old - 1;
        scope.set(name, String(nv));
        return node['prefix'] === true ? nv : old;
      }
      const v = evaluate(operand, scope, depth);
      switch (op) {
        case '-':
          return -v;
        case '+':
          return v;
        case '!':
          return v === 0 ? 1 : 0;
        case '~':
          return Number(~BigInt(v));
        default:
          throw new ArithError(`${op}: unknown operator`);
      }
    }
    case 'ArithBinary': {
      const op = node['operator'] as string;
      if (op === '&&') return evaluate(node['left'] as ArithNode, scope, depth) !== 0 && evaluate(node['right'] as ArithNode, scope, depth) !== 0 ? 1 : 0;
      if (op === '||') return evaluate(node['left'] as ArithNode, scope, depth) !== 0 || evaluate(node['right'] as ArithNode, scope, depth) !== 0 ? 1 : 0;
      const a = evaluate(node['left'] as ArithNode, scope, depth);
      const b = evaluate(node['right'] as ArithNode, scope, depth);
      switch (op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          if (b === 0) throw new ArithError('division by 0');
          return toInt(a / b);
        case '%':
          if (b === 0) throw new ArithError('division by 0');
          return a % b;
        case '**':
          if (b < 0) throw new ArithError('exponent less than 0');
          return a ** b;
        case '<<':
          return a * 2 ** b;
        case '>>':
          return Math.floor(a / 2 ** b);
        case '<':
          return a < b ? 1 : 0;
        case '<=':
          return a <= b ? 1 : 0;
        case '>':
          return a > b ? 1 : 0;
        case '>=':
          return a >= b ? 1 : 0;
        case '==':
          return a === b ? 1 : 0;
        case '!=':
          return a !== b ? 1 : 0;
        case '&':
          return Number(BigInt(a) & BigInt(b));
        case '|':
          return Number(BigInt(a) | BigInt(b));
        case '^':
          return Number(BigInt(a) ^ BigInt(b));
        case ',':
          return b;
        default:
          throw new ArithError(`${op}: unknown operator`);
      }
    }
    default:
      throw new ArithError(`${node.type}: not supported`);
  }
}
