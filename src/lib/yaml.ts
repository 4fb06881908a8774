// YAML documents to plain values for configuration and resources: what the yaml
// package only warns about (a map key that is a map or a list) or throws as an
// unrelated error (an alias before its anchor, too many aliases) becomes one message.

import { isPair, isScalar, visit, type Document } from 'yaml';

/** Aliases a document may expand: a "billion laughs" text stops here. */
const maxAliasCount = 100;

/** The document's value, or what makes it unusable and where (offset in the text). */
export type YamlValue = { readonly value: unknown } | { readonly error: string; readonly offset?: number };

export function yamlToJs(doc: Document): YamlValue {
  let badKey: { offset?: number } | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (!isPair(pair) || pair.key === null || isScalar(pair.key)) return undefined;
      const range = (pair.key as { range?: readonly number[] }).range;
      badKey = range === undefined ? {} : { offset: range[0]! };
      return visit.BREAK;
    },
  });
  if (badKey !== undefined) return { error: 'a map key must be a plain value, not a map or a list', ...badKey };
  try {
    return { value: doc.toJS({ maxAliasCount }) };
  } catch (err) {
    // The yaml package reports an alias before its anchor, or too many aliases, as a ReferenceError.
    if (!(err instanceof ReferenceError)) throw err;
    return { error: err.message };
  }
}
