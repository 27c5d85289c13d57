-- The reconciler's queue (docs/SAGA.md, "The reconciler"): each unsettled order is due at
-- next_attempt_at. A pass claims the due orders by moving next_attempt_at a lease ahead (one
-- short statement, committed before any remote call), calls payment-svc with no transaction
-- open, and on failure moves the order back by an exponential back-off with jitter. So an order
-- that keeps failing goes to the back of the queue instead of taking the batch every pass, and
-- an order whose replica died mid-call is due again when the lease runs out.
ALTER TABLE orders
    ADD COLUMN attempts        int         NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now();

DROP INDEX orders_unsettled;
CREATE INDEX orders_unsettled ON orders (next_attempt_at)
    WHERE state = 'PENDING_PAYMENT' OR refund_pending;
