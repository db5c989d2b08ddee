/**
 * One part of a composite statement: a named CTE whose `$n` placeholders refer to its own
 * `values`. Parts let several modules' writes (a business row, its event, the ledger posting)
 * run as one statement: one round trip, atomic without a transaction, all or nothing.
 */
export interface SqlPart {
  name: string;
  text: string;
  values: unknown[];
}

export interface Statement {
  text: string;
  values: unknown[];
}

// Part texts are Centum's own SQL: no `$` inside string literals or dollar quotes.
const renumber = (text: string, offset: number) => text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);

/**
 * `WITH a AS (...), b AS (...) <final>`, each part's placeholders shifted past the ones before it.
 * A data-modifying part always runs to completion, whether or not `final` reads it; parts may
 * read earlier parts by name.
 */
export function composeStatement(parts: SqlPart[], final: string, finalValues: unknown[] = []): Statement {
  const values: unknown[] = [];
  const ctes = parts.map((part) => {
    const cte = `${part.name} AS (${renumber(part.text, values.length)})`;
    values.push(...part.values);
    return cte;
  });
  const tail = renumber(final, values.length);
  values.push(...finalValues);
  return { text: ctes.length ? `WITH ${ctes.join(',\n')}\n${tail}` : tail, values };
}
