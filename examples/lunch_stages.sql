-- The lunch as the asyncio lesson wrote it with two gather() calls: boil the water while
-- the salad is prepared; when both are done, cook the spaghetti and the sauce together.
-- Each stage lasts as long as its slowest dish: 1.0 + 0.7 = about 1.7 s.
--
--     qrun --parallel examples/lunch_stages.sql

-- stage: first
-- name: boil_water
SELECT pg_sleep(0.5);

-- name: prepare_salad
SELECT pg_sleep(1.0);

-- stage: second
-- name: cook_spaghetti
SELECT pg_sleep(0.7);

-- name: cook_sauce
SELECT pg_sleep(0.4);
