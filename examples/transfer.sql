-- Transaction blocks are one unit: their statements run in order on one connection,
-- never interleaved with other work there, while other units run beside them.
--
--     qrun --parallel examples/transfer.sql
--
-- The file is re-runnable: it creates its table if needed and resets the balances.

-- name: accounts
CREATE TABLE IF NOT EXISTS qrun_example_accounts (id int PRIMARY KEY, balance numeric NOT NULL);

-- name: reset
-- after: accounts
INSERT INTO qrun_example_accounts VALUES (1, 100), (2, 0)
ON CONFLICT (id) DO UPDATE SET balance = EXCLUDED.balance;

-- name: transfer
-- after: reset
BEGIN;
UPDATE qrun_example_accounts SET balance = balance - 30 WHERE id = 1;
SELECT pg_sleep(0.3);
UPDATE qrun_example_accounts SET balance = balance + 30 WHERE id = 2;
COMMIT;

-- name: report
-- after: transfer
SELECT id, balance FROM qrun_example_accounts ORDER BY id;

-- name: meanwhile
SELECT pg_sleep(0.3);
