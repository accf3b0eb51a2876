package deps

import "testing"

func TestSmoke(t *testing.T) {
	sql := `CREATE TABLE orders(id int primary key, amount numeric);
INSERT INTO orders SELECT g, g*1.5 FROM generate_series(1,100000) g;
CREATE INDEX ON orders(amount);
SELECT count(*) FROM orders WHERE amount > 500;
SELECT pg_sleep(1);
SELECT pg_sleep(1);
`
	res := Analyze(unitsOf(t, sql), Options{})
	t.Log("\n" + dump(res))
}
