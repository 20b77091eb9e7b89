// Type tests of the optimizer options on compute() and explain().
import { fromRows, dt } from '../../src/index.ts';

const ds = fromRows([{ a: 1 }], { a: dt.float64() });
void ds.compute({ optimizer: false });
void ds.compute({ optimizer: { disable: ['push-down-filter', 'prune-columns'], maxPasses: 3 } });
void ds.explain({ optimizer: { disable: ['reorder-filters'] } });
// @ts-expect-error the optimizer is on, off, or options — not a string
void ds.compute({ optimizer: 'off' });
// @ts-expect-error disable takes rule names as an array
void ds.compute({ optimizer: { disable: 'push-down-filter' } });
// @ts-expect-error maxPasses is a number
void ds.compute({ optimizer: { maxPasses: '3' } });
