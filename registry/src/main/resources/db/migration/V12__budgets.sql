-- Budgets (policy entries of kind budget): what each subject (an agent, or a tenant) has reserved
-- and spent of a policy's token and cost limits in one period, shared by every replica on this
-- database. One row per policy, subject and period; BudgetDao.reserve checks and reserves in one
-- statement (the row lock serializes concurrent reservations from any replica), settle turns a
-- reservation into what the call really used, in one statement too.
CREATE TABLE budgets (
  policy           text NOT NULL,          -- the budget policy's name
  subject          text NOT NULL,          -- 'agent:<agent id>' or 'tenant:<tenant id>'
  period           text NOT NULL,          -- day | month | fixed
  period_start     timestamptz NOT NULL,   -- the UTC day or month it counts (the database's clock); the epoch for fixed
  tenant_id        text NOT NULL,          -- the subject's tenant (the admin API's scope)
  limit_tokens     bigint,                 -- the limit the last reservation was checked against; NULL: no token limit
  limit_cost       numeric,                -- likewise for cost, in the models' price currency
  reserved_tokens  bigint NOT NULL,        -- reservations not yet settled (nor released, see budget_reservations)
  reserved_cost    numeric NOT NULL,
  spent_tokens     bigint NOT NULL,        -- what settled calls used: the sums of their usage rows
  spent_cost       numeric NOT NULL,
  admitted         boolean NOT NULL,       -- whether the last reservation fitted
  updated_at       timestamptz NOT NULL,
  PRIMARY KEY (policy, subject, period, period_start)
);

-- The admin listing and the metrics read one period's rows.
CREATE INDEX budgets_tenant ON budgets (tenant_id, policy, subject);
CREATE INDEX budgets_period_start ON budgets (period_start);

-- One row per reservation until it is settled. A reservation whose call never settled it (the
-- replica died) is released when it expires: its amount leaves the budget's reserved columns
-- and the row stays, marked released, so a call that settles late still adds what it spent and
-- takes nothing off twice. Released rows are deleted a day after they expired.
CREATE TABLE budget_reservations (
  id            text PRIMARY KEY,
  policy        text NOT NULL,
  subject       text NOT NULL,
  period        text NOT NULL,
  period_start  timestamptz NOT NULL,
  tokens        bigint NOT NULL,
  cost          numeric NOT NULL,
  expires_at    timestamptz NOT NULL,
  released      boolean NOT NULL DEFAULT false
);

CREATE INDEX budget_reservations_expires ON budget_reservations (expires_at);
