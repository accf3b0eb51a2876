-- The lunch with only the dependency that is real: the spaghetti needs boiled water, and
-- nothing else waits for anything. Lunch is ready when its longest chain is,
-- boil_water -> cook_spaghetti: 0.5 + 0.7 = about 1.2 s.
--
--     qrun --parallel examples/lunch_dag.sql

-- name: boil_water
SELECT pg_sleep(0.5);

-- name: prepare_salad
SELECT pg_sleep(1.0);

-- name: cook_spaghetti
-- after: boil_water
SELECT pg_sleep(0.7);

-- name: cook_sauce
SELECT pg_sleep(0.4);
