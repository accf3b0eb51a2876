CREATE TABLE accounts (id int PRIMARY KEY, balance int);
CREATE TABLE audit (account int, old int, new int);
CREATE FUNCTION log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit VALUES (NEW.id, OLD.balance, NEW.balance);
  RETURN NEW;
END $$;
CREATE TRIGGER accounts_audit AFTER UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION log_change();
INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 20) g;
UPDATE accounts SET balance = balance + 1 WHERE id <= 5;
SELECT count(*) FROM audit;
DELETE FROM audit WHERE account = 1;
UPDATE accounts SET balance = 0 WHERE id = 2;
SELECT count(*) FROM audit;
