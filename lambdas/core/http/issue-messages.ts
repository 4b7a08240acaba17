import type * as z from 'zod/mini';

/**
 * A field name as an error message may show it. A name is any string the client sent, a pasted
 * key included (found by the leak scan of the end-to-end suite): long names are cut to 8 characters,
 * which for a key is its `<prefix>_<env>_` part and none of its secret.
 */
function shownName(name: string): string {
  return name.length <= 32 ? name : `${name.slice(0, 8)}… (${name.length} characters)`;
}

/** A value the schema allows, as JSON writes it (a bigint as digits). */
function shownValue(value: unknown): string {
  return typeof value === 'bigint' ? String(value) : (JSON.stringify(value) ?? String(value));
}

const ARTICLES: Readonly<Record<string, string>> = {
  int: 'a whole number',
  array: 'an array',
  object: 'an object',
  null: 'null',
  undefined: 'nothing',
  nonoptional: 'a value',
};

/** A type as a sentence names it: "a string", "an object", "a whole number". */
function aType(type: string): string {
  return ARTICLES[type] ?? `a ${type}`;
}

/** What a client sent, by its JSON type only: the value itself may be a key and is never shown. */
function sentType(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  return aType(typeof input);
}

/** "one of "a", "b"" for several values, the value alone for one. */
function allowedValues(values: readonly unknown[]): string {
  return values.length === 1 ? shownValue(values[0]) : `one of ${values.map(shownValue).join(', ')}`;
}

const UNITS: Readonly<Record<string, string>> = { string: 'characters', array: 'items', set: 'items', file: 'bytes' };

/** "at least 3 characters", "more than 0", "exactly 8 items". */
function bound(
  issue: { origin: string; inclusive?: boolean; exact?: boolean },
  limit: number | bigint,
  side: 'least' | 'most',
): string {
  const unit = UNITS[issue.origin] === undefined ? '' : ` ${UNITS[issue.origin]}`;
  if (issue.exact === true) return `exactly ${limit}${unit}`;
  if (issue.inclusive === false) return `${side === 'least' ? 'more' : 'less'} than ${limit}${unit}`;
  return `at ${side} ${limit}${unit}`;
}

/**
 * What a union expected: the types and values of its options when each failed as a whole (a string
 * or null, one of several values), else the issue of the option that got furthest.
 */
function unionExpectation(branches: readonly (readonly z.core.$ZodIssue[])[]): string {
  const values: unknown[] = [];
  const types: string[] = [];
  for (const issues of branches) {
    const [issue] = issues;
    if (issues.length !== 1 || issue.path.length > 0) {
      const furthest = branches
        .filter((branch) => branch.length > 0)
        .reduce((best, branch) => (branch[0].path.length > best[0].path.length ? branch : best));
      const [closest] = furthest;
      const at = closest.path.length > 0 ? `${closest.path.map(String).join('.')}: ` : '';
      return `matches none of the allowed shapes; closest: ${at}${closest.message}`;
    }
    if (issue.code === 'invalid_value') values.push(...issue.values);
    else if (issue.code === 'invalid_type') types.push(aType(issue.expected));
    else return issue.message;
  }
  const parts = [...(values.length > 0 ? [allowedValues(values)] : []), ...types];
  return `must be ${parts.join(' or ')}`;
}

/**
 * zod's error map for request validation: every issue says what was expected (the allowed values
 * of an enum or literal, the type of a field, the bounds of a size), and of what was sent only its
 * type. zod/mini ships no messages of its own (each would read "Invalid input"); a message a schema
 * sets itself wins over this one.
 */
export const explainIssue: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${aType(issue.expected)}, received ${sentType(issue.input)}`;
    case 'invalid_value':
      return `must be ${allowedValues(issue.values)}`;
    case 'invalid_union':
      return issue.inclusive === false ? 'matches more than one of the allowed shapes' : unionExpectation(issue.errors);
    case 'too_small':
      return `must be ${bound(issue, issue.minimum, 'least')}`;
    case 'too_big':
      return `must be ${bound(issue, issue.maximum, 'most')}`;
    case 'invalid_format':
      return issue.format === 'regex' && issue.pattern !== undefined
        ? `must match ${issue.pattern}`
        : `must be a valid ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_key':
    case 'invalid_element':
      return `has an invalid ${issue.code === 'invalid_key' ? 'key' : 'value'}: ${issue.issues[0]?.message ?? 'see its schema'}`;
    default:
      return undefined;
  }
};

/** One issue as a 400's message: the field at fault (or `where`, for the whole) and what it expects. */
export function describeIssue(issue: z.core.$ZodIssue, where: string): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} in ${where}: ${issue.keys.map(shownName).join(', ')}`;
  }
  if (issue.code === 'invalid_type' && issue.path.length === 0) return `${where} must be a JSON ${issue.expected}`;
  const field = issue.path.length > 0 ? issue.path.map((part) => shownName(String(part))).join('.') : where;
  return `${field}: ${issue.message}`;
}
