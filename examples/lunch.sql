-- The asyncio lunch at one tenth of the scale, with pg_sleep standing in for the cooking.
-- One cook doing one thing at a time needs 0.5 + 1.0 + 0.7 + 0.4 = 2.6 s:
--
--     qrun examples/lunch.sql
--
-- Four cooks working at once are done when the slowest dish is, after about 1.0 s:
--
--     qrun --parallel examples/lunch.sql

-- name: boil_water
SELECT pg_sleep(0.5);

-- name: prepare_salad
SELECT pg_sleep(1.0);

-- name: cook_spaghetti
SELECT pg_sleep(0.7);

-- name: cook_sauce
SELECT pg_sleep(0.4);
