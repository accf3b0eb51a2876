-- The database deps/testdata/pgdump.sql is a dump of (see mkdump.sh).
CREATE SCHEMA shop;
CREATE TYPE shop.status AS ENUM ('new', 'paid', 'shipped');
CREATE DOMAIN shop.money_amount AS numeric(12,2) CHECK (VALUE >= 0);
CREATE TABLE shop.customers (
    id bigserial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    created timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE shop.products (
    id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    price shop.money_amount NOT NULL
);
CREATE TABLE shop.orders (
    id serial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES shop.customers(id),
    status shop.status NOT NULL DEFAULT 'new',
    total shop.money_amount NOT NULL DEFAULT 0
);
CREATE TABLE shop.order_lines (
    order_id int NOT NULL REFERENCES shop.orders(id) ON DELETE CASCADE,
    product_id int NOT NULL REFERENCES shop.products(id),
    qty int NOT NULL CHECK (qty > 0),
    PRIMARY KEY (order_id, product_id)
);
CREATE INDEX order_lines_product ON shop.order_lines(product_id);
CREATE INDEX orders_customer ON shop.orders(customer_id);
CREATE INDEX orders_status ON shop.orders(status) WHERE status <> 'shipped';
CREATE TABLE public.audit (
    at timestamptz NOT NULL DEFAULT now(),
    what text NOT NULL
);
CREATE TABLE public.events (
    id bigint NOT NULL,
    day date NOT NULL,
    payload jsonb
) PARTITION BY RANGE (day);
CREATE TABLE public.events_2024 PARTITION OF public.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE public.events_2025 PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX events_day ON public.events(day);
CREATE FUNCTION shop.order_total(o int) RETURNS numeric LANGUAGE sql STABLE
    AS $$ SELECT coalesce(sum(l.qty * p.price), 0) FROM shop.order_lines l JOIN shop.products p ON p.id = l.product_id WHERE l.order_id = o $$;
CREATE FUNCTION public.audit_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.audit(what) VALUES ('order ' || NEW.id || ' ' || NEW.status);
    RETURN NEW;
END $$;
CREATE TRIGGER orders_audit AFTER INSERT OR UPDATE ON shop.orders FOR EACH ROW EXECUTE FUNCTION public.audit_order();
CREATE VIEW shop.order_summary AS
    SELECT o.id, c.email, o.status, shop.order_total(o.id) AS total
    FROM shop.orders o JOIN shop.customers c ON c.id = o.customer_id;
CREATE MATERIALIZED VIEW shop.product_sales AS
    SELECT p.id, p.name, sum(l.qty) AS sold FROM shop.products p LEFT JOIN shop.order_lines l ON l.product_id = p.id GROUP BY p.id, p.name;
CREATE UNIQUE INDEX product_sales_id ON shop.product_sales(id);
ALTER TABLE shop.customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY customers_self ON shop.customers USING (email = current_user);
COMMENT ON TABLE shop.orders IS 'one row per order';
COMMENT ON COLUMN shop.orders.total IS 'kept in step by the application';

INSERT INTO shop.customers(email) SELECT 'c' || g || '@example.com' FROM generate_series(1, 5) g;
INSERT INTO shop.products(name, price) SELECT 'p' || g, g * 1.25 FROM generate_series(1, 4) g;
INSERT INTO shop.orders(customer_id, status) SELECT 1 + g % 5, (ARRAY['new','paid','shipped'])[1 + g % 3]::shop.status FROM generate_series(1, 8) g;
INSERT INTO shop.order_lines SELECT o, 1 + o % 4, o FROM generate_series(1, 8) o;
INSERT INTO public.events SELECT g, DATE '2024-06-01' + g * 30, jsonb_build_object('n', g) FROM generate_series(1, 12) g;
REFRESH MATERIALIZED VIEW shop.product_sales;
