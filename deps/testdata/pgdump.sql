--
-- PostgreSQL database dump
--



SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: shop; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA shop;


--
-- Name: money_amount; Type: DOMAIN; Schema: shop; Owner: -
--

CREATE DOMAIN shop.money_amount AS numeric(12,2)
	CONSTRAINT money_amount_check CHECK ((VALUE >= (0)::numeric));


--
-- Name: status; Type: TYPE; Schema: shop; Owner: -
--

CREATE TYPE shop.status AS ENUM (
    'new',
    'paid',
    'shipped'
);


--
-- Name: audit_order(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.audit_order() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO public.audit(what) VALUES ('order ' || NEW.id || ' ' || NEW.status);
    RETURN NEW;
END $$;


--
-- Name: order_total(integer); Type: FUNCTION; Schema: shop; Owner: -
--

CREATE FUNCTION shop.order_total(o integer) RETURNS numeric
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce(sum(l.qty * p.price), 0) FROM shop.order_lines l JOIN shop.products p ON p.id = l.product_id WHERE l.order_id = o $$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: audit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit (
    at timestamp with time zone DEFAULT now() NOT NULL,
    what text NOT NULL
);


--
-- Name: events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events (
    id bigint NOT NULL,
    day date NOT NULL,
    payload jsonb
)
PARTITION BY RANGE (day);


--
-- Name: events_2024; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events_2024 (
    id bigint NOT NULL,
    day date NOT NULL,
    payload jsonb
);


--
-- Name: events_2025; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events_2025 (
    id bigint NOT NULL,
    day date NOT NULL,
    payload jsonb
);


--
-- Name: customers; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.customers (
    id bigint NOT NULL,
    email text NOT NULL,
    created timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: customers_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

CREATE SEQUENCE shop.customers_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: customers_id_seq; Type: SEQUENCE OWNED BY; Schema: shop; Owner: -
--

ALTER SEQUENCE shop.customers_id_seq OWNED BY shop.customers.id;


--
-- Name: order_lines; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.order_lines (
    order_id integer NOT NULL,
    product_id integer NOT NULL,
    qty integer NOT NULL,
    CONSTRAINT order_lines_qty_check CHECK ((qty > 0))
);


--
-- Name: orders; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.orders (
    id integer NOT NULL,
    customer_id bigint NOT NULL,
    status shop.status DEFAULT 'new'::shop.status NOT NULL,
    total shop.money_amount DEFAULT 0 NOT NULL
);


--
-- Name: TABLE orders; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON TABLE shop.orders IS 'one row per order';


--
-- Name: COLUMN orders.total; Type: COMMENT; Schema: shop; Owner: -
--

COMMENT ON COLUMN shop.orders.total IS 'kept in step by the application';


--
-- Name: order_summary; Type: VIEW; Schema: shop; Owner: -
--

CREATE VIEW shop.order_summary AS
 SELECT o.id,
    c.email,
    o.status,
    shop.order_total(o.id) AS total
   FROM (shop.orders o
     JOIN shop.customers c ON ((c.id = o.customer_id)));


--
-- Name: orders_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

CREATE SEQUENCE shop.orders_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: orders_id_seq; Type: SEQUENCE OWNED BY; Schema: shop; Owner: -
--

ALTER SEQUENCE shop.orders_id_seq OWNED BY shop.orders.id;


--
-- Name: products; Type: TABLE; Schema: shop; Owner: -
--

CREATE TABLE shop.products (
    id integer NOT NULL,
    name text NOT NULL,
    price shop.money_amount NOT NULL
);


--
-- Name: product_sales; Type: MATERIALIZED VIEW; Schema: shop; Owner: -
--

CREATE MATERIALIZED VIEW shop.product_sales AS
 SELECT p.id,
    p.name,
    sum(l.qty) AS sold
   FROM (shop.products p
     LEFT JOIN shop.order_lines l ON ((l.product_id = p.id)))
  GROUP BY p.id, p.name
  WITH NO DATA;


--
-- Name: products_id_seq; Type: SEQUENCE; Schema: shop; Owner: -
--

ALTER TABLE shop.products ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME shop.products_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: events_2024; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');


--
-- Name: events_2025; Type: TABLE ATTACH; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');


--
-- Name: customers id; Type: DEFAULT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.customers ALTER COLUMN id SET DEFAULT nextval('shop.customers_id_seq'::regclass);


--
-- Name: orders id; Type: DEFAULT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.orders ALTER COLUMN id SET DEFAULT nextval('shop.orders_id_seq'::regclass);


--
-- Data for Name: audit; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.audit (at, what) FROM stdin;
2026-12-02 15:53:20.869324+00	order 1 paid
2026-12-02 15:53:20.869324+00	order 2 shipped
2026-12-02 15:53:20.869324+00	order 3 new
2026-12-02 15:53:20.869324+00	order 4 paid
2026-12-02 15:53:20.869324+00	order 5 shipped
2026-12-02 15:53:20.869324+00	order 6 new
2026-12-02 15:53:20.869324+00	order 7 paid
2026-12-02 15:53:20.869324+00	order 8 shipped
\.


--
-- Data for Name: events_2024; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events_2024 (id, day, payload) FROM stdin;
1	2024-07-01	{"n": 1}
2	2024-07-31	{"n": 2}
3	2024-08-30	{"n": 3}
4	2024-09-29	{"n": 4}
5	2024-10-29	{"n": 5}
6	2024-11-28	{"n": 6}
7	2024-12-28	{"n": 7}
\.


--
-- Data for Name: events_2025; Type: TABLE DATA; Schema: public; Owner: -
--

COPY public.events_2025 (id, day, payload) FROM stdin;
8	2025-01-27	{"n": 8}
9	2025-02-26	{"n": 9}
10	2025-03-28	{"n": 10}
11	2025-04-27	{"n": 11}
12	2025-05-27	{"n": 12}
\.


--
-- Data for Name: customers; Type: TABLE DATA; Schema: shop; Owner: -
--

COPY shop.customers (id, email, created) FROM stdin;
1	c1@example.com	2026-12-02 15:53:20.865604+00
2	c2@example.com	2026-12-02 15:53:20.865604+00
3	c3@example.com	2026-12-02 15:53:20.865604+00
4	c4@example.com	2026-12-02 15:53:20.865604+00
5	c5@example.com	2026-12-02 15:53:20.865604+00
\.


--
-- Data for Name: order_lines; Type: TABLE DATA; Schema: shop; Owner: -
--

COPY shop.order_lines (order_id, product_id, qty) FROM stdin;
1	2	1
2	3	2
3	4	3
4	1	4
5	2	5
6	3	6
7	4	7
8	1	8
\.


--
-- Data for Name: orders; Type: TABLE DATA; Schema: shop; Owner: -
--

COPY shop.orders (id, customer_id, status, total) FROM stdin;
1	2	paid	0.00
2	3	shipped	0.00
3	4	new	0.00
4	5	paid	0.00
5	1	shipped	0.00
6	2	new	0.00
7	3	paid	0.00
8	4	shipped	0.00
\.


--
-- Data for Name: products; Type: TABLE DATA; Schema: shop; Owner: -
--

COPY shop.products (id, name, price) FROM stdin;
1	p1	1.25
2	p2	2.50
3	p3	3.75
4	p4	5.00
\.


--
-- Name: customers_id_seq; Type: SEQUENCE SET; Schema: shop; Owner: -
--

SELECT pg_catalog.setval('shop.customers_id_seq', 5, true);


--
-- Name: orders_id_seq; Type: SEQUENCE SET; Schema: shop; Owner: -
--

SELECT pg_catalog.setval('shop.orders_id_seq', 8, true);


--
-- Name: products_id_seq; Type: SEQUENCE SET; Schema: shop; Owner: -
--

SELECT pg_catalog.setval('shop.products_id_seq', 4, true);


--
-- Name: customers customers_email_key; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.customers
    ADD CONSTRAINT customers_email_key UNIQUE (email);


--
-- Name: customers customers_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);


--
-- Name: order_lines order_lines_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.order_lines
    ADD CONSTRAINT order_lines_pkey PRIMARY KEY (order_id, product_id);


--
-- Name: orders orders_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.orders
    ADD CONSTRAINT orders_pkey PRIMARY KEY (id);


--
-- Name: products products_pkey; Type: CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.products
    ADD CONSTRAINT products_pkey PRIMARY KEY (id);


--
-- Name: events_day; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_day ON ONLY public.events USING btree (day);


--
-- Name: events_2024_day_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_2024_day_idx ON public.events_2024 USING btree (day);


--
-- Name: events_2025_day_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_2025_day_idx ON public.events_2025 USING btree (day);


--
-- Name: order_lines_product; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX order_lines_product ON shop.order_lines USING btree (product_id);


--
-- Name: orders_customer; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX orders_customer ON shop.orders USING btree (customer_id);


--
-- Name: orders_status; Type: INDEX; Schema: shop; Owner: -
--

CREATE INDEX orders_status ON shop.orders USING btree (status) WHERE (status <> 'shipped'::shop.status);


--
-- Name: product_sales_id; Type: INDEX; Schema: shop; Owner: -
--

CREATE UNIQUE INDEX product_sales_id ON shop.product_sales USING btree (id);


--
-- Name: events_2024_day_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_day ATTACH PARTITION public.events_2024_day_idx;


--
-- Name: events_2025_day_idx; Type: INDEX ATTACH; Schema: public; Owner: -
--

ALTER INDEX public.events_day ATTACH PARTITION public.events_2025_day_idx;


--
-- Name: orders orders_audit; Type: TRIGGER; Schema: shop; Owner: -
--

CREATE TRIGGER orders_audit AFTER INSERT OR UPDATE ON shop.orders FOR EACH ROW EXECUTE FUNCTION public.audit_order();


--
-- Name: order_lines order_lines_order_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.order_lines
    ADD CONSTRAINT order_lines_order_id_fkey FOREIGN KEY (order_id) REFERENCES shop.orders(id) ON DELETE CASCADE;


--
-- Name: order_lines order_lines_product_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.order_lines
    ADD CONSTRAINT order_lines_product_id_fkey FOREIGN KEY (product_id) REFERENCES shop.products(id);


--
-- Name: orders orders_customer_id_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -
--

ALTER TABLE ONLY shop.orders
    ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES shop.customers(id);


--
-- Name: customers; Type: ROW SECURITY; Schema: shop; Owner: -
--

ALTER TABLE shop.customers ENABLE ROW LEVEL SECURITY;

--
-- Name: customers customers_self; Type: POLICY; Schema: shop; Owner: -
--

CREATE POLICY customers_self ON shop.customers USING ((email = CURRENT_USER));


--
-- Name: product_sales; Type: MATERIALIZED VIEW DATA; Schema: shop; Owner: -
--

REFRESH MATERIALIZED VIEW shop.product_sales;


--
-- PostgreSQL database dump complete
--


