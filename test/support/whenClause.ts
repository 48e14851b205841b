/**
 * Evaluates the subset of VS Code's `when` clause language the manifest uses: `key`, `!key`,
 * `key == value`, `key != value`, `key =~ /regex/flags`, joined by `&&` and `||` (`&&` binds
 * tighter, as in VS Code). Anything else (parentheses, `in`, comparisons) throws, so a manifest that
 * starts using it makes the menu tests fail loudly rather than evaluate it wrongly.
 */
export function evaluateWhen(when: string, context: Record<string, string | boolean | undefined>): boolean {
  let pos = 0;
  const skipSpaces = () => {
    while (pos < when.length && /\s/.test(when[pos])) pos++;
  };
  const at = (token: string) => {
    skipSpaces();
    return when.startsWith(token, pos);
  };
  const fail = (what: string): never => {
    throw new Error(`when clause "${when}": ${what} at ${pos} ("${when.slice(pos, pos + 20)}")`);
  };

  const or = (): boolean => {
    let value = and();
    while (at('||')) {
      pos += 2;
      const right = and();
      value = value || right;
    }
    return value;
  };
  const and = (): boolean => {
    let value = unary();
    while (at('&&')) {
      pos += 2;
      const right = unary();
      value = value && right;
    }
    return value;
  };
  const unary = (): boolean => {
    if (at('!') && !at('!=')) {
      pos++;
      return !unary();
    }
    return primary();
  };
  const primary = (): boolean => {
    skipSpaces();
    const key = /^[A-Za-z_][\w.-]*/.exec(when.slice(pos))?.[0] ?? fail('expected a context key');
    pos += key.length;
    const value = context[key];
    if (at('==') || at('!=')) {
      const negate = when[pos] === '!';
      pos += 2;
      skipSpaces();
      const word = /^('[^']*'|[^\s&|!=]+)/.exec(when.slice(pos))?.[0] ?? fail('expected a value');
      pos += word.length;
      const literal = word.startsWith("'") ? word.slice(1, -1) : word;
      const equal = value !== undefined && String(value) === literal;
      return negate ? !equal : equal;
    }
    if (at('=~')) {
      pos += 2;
      skipSpaces();
      if (when[pos] !== '/') fail('expected /regex/');
      let end = pos + 1;
      while (end < when.length && when[end] !== '/') end += when[end] === '\\' ? 2 : 1;
      if (end >= when.length) fail('unterminated regex');
      const source = when.slice(pos + 1, end);
      const flags = /^[gimsuy]*/.exec(when.slice(end + 1))![0];
      pos = end + 1 + flags.length;
      return typeof value === 'string' && new RegExp(source, flags).test(value);
    }
    return value !== undefined && value !== false && value !== '';
  };

  const result = or();
  skipSpaces();
  if (pos !== when.length) fail('unexpected text');
  return result;
}
