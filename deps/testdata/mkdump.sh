#!/bin/sh
# Regenerates pgdump.sql: restores fixture.sql into a scratch database of the local
# server and dumps it as a plain pg_dump --no-owner file (what qrun --parallel restores).
set -eu
cd "$(dirname "$0")"
db=qrun_deps_fixture
psql -X -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d $db -f fixture.sql
pg_dump --no-owner -h 127.0.0.1 -U postgres $db | grep -v '^-- Dumped \(from\|by\)' | grep -v '^\\\(un\)\?restrict ' > pgdump.sql
psql -X -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE $db"
