CREATE TABLE t1 (a int, b text);
CREATE TABLE t2 (a int);
COPY t1 (a, b) FROM stdin;
1	one
2	two
3	three
\.
COPY t2 FROM stdin;
10
20
\.
SELECT count(*) FROM t1;
INSERT INTO t2 SELECT a FROM t1;
SELECT sum(a) FROM t2;
