-- Roles: everyone is a customer; admins are made by BOOTSTRAP_ADMIN_* (or by another admin).
ALTER TABLE users ADD COLUMN roles text[] NOT NULL DEFAULT '{customer}'
    CHECK (roles <@ ARRAY['customer', 'admin']::text[] AND cardinality(roles) > 0);
