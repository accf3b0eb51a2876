-- a file that names a statement a, for TestInputErrors
-- name: a
SELECT 1;
