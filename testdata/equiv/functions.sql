CREATE TABLE kv (k text PRIMARY KEY, v int);
CREATE TABLE other (x int);
CREATE FUNCTION put(key text, val int) RETURNS void LANGUAGE sql AS $$
  INSERT INTO kv VALUES (key, val) ON CONFLICT (k) DO UPDATE SET v = excluded.v
$$;
CREATE FUNCTION bump(key text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE r int;
BEGIN
  UPDATE kv SET v = v + 1 WHERE k = key RETURNING v INTO r;
  RETURN r;
END $$;
SELECT put('a', 1);
INSERT INTO other SELECT generate_series(1, 10);
SELECT put('b', 2);
SELECT bump('a');
SELECT bump('a');
SELECT v FROM kv WHERE k = 'a';
SELECT count(*) FROM other;
