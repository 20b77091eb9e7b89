// Prints the golden plan texts of cases.ts (review them before pasting into rules.golden.json):
// node --import tsx packages/core/test/plan/print-goldens.ts > packages/core/test/plan/rules.golden.json
import { CASES } from './cases.ts';
import { rewrite } from './helpers.ts';

const out: Record<string, { before: string; after: string; fired: string[] }> = {};
for (const c of CASES) {
  const r = await rewrite(c.ds(), c.rules, c.onError ? { onError: c.onError } : {});
  out[c.name] = { before: r.before, after: r.after, fired: r.fired };
}
console.log(JSON.stringify(out, null, 2));
