// Test helpers: table → plain rows with modaflow's value conventions (bigint, Tensor).

export { tableRows as rowsOf, tableColumn as column } from '@modaflow/core';
