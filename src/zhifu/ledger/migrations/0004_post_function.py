"""PostgreSQL: post one entry in one statement, `SELECT * FROM ledger_post(...)`.

The function does, server-side and in this order, what `services._apply` does on SQLite: it
inserts the entry (a duplicate reference fails on the UNIQUE index before any account is
touched), creates any missing account row, locks the rows it will change in ascending id
order, chooses the postings (a credit to a sharded account goes to one shard at random; a
debit takes from the fullest shards first), refuses a forbidden negative balance, and writes
the postings and the new balances. One round trip instead of six, and no network wait while
the rows are locked (docs/decisions/0013-ledger-posting-in-one-round-trip.md).

Its refusals have SQLSTATEs of their own, which `ledger.pg_posting` maps back to the ledger's
errors: ZL001 insufficient funds (the message names the account), ZL002 unbalanced, ZL003
an entry that moves no money. SQLite has no stored functions; it keeps the ORM path.
"""

from django.db import migrations

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_post(
    p_reference text, p_kind text, p_description text, p_metadata jsonb,
    p_related bigint, p_reverses bigint, p_posted_at timestamptz,
    -- one element per logical account: its identity, net change, default shard count
    -- (for a new account) and whether it may go negative
    p_owners text[], p_kinds text[], p_currencies text[], p_nets bigint[],
    p_shards integer[], p_allow_negative boolean[],
    OUT entry_id bigint, OUT account_ids bigint[], OUT amounts bigint[],
    OUT currencies text[]
) LANGUAGE plpgsql AS $$
DECLARE
    n integer := coalesce(cardinality(p_owners), 0);
    first_row integer[] := '{}'; -- where each logical account's rows start in all_rows
    row_count integer[] := '{}';
    all_rows bigint[] := '{}';
    lock_ids bigint[] := '{}';
    locked_ids bigint[] := '{}';
    locked_balances bigint[] := '{}';
    locked_negative boolean[] := '{}';
    balances_after bigint[] := '{}';
    found_ids bigint[];
    declared integer;
    chosen bigint;
    pos integer;
    remaining bigint;
    take bigint;
    r record;
BEGIN
    INSERT INTO ledger_entry (reference, kind, description, posted_at, metadata,
                              related_id, reverses_id)
    VALUES (p_reference, p_kind, p_description, p_posted_at, p_metadata,
            p_related, p_reverses)
    RETURNING id INTO entry_id;

    account_ids := '{}';
    amounts := '{}';
    currencies := '{}';
    IF n = 0 THEN
        RAISE EXCEPTION 'the entry moves no money' USING ERRCODE = 'ZL003';
    END IF;

    -- The rows of each logical account, every shard, created on first use (a complete
    -- account has as many rows as its rows declare; ensure_accounts does the same).
    FOR i IN 1..n LOOP
        SELECT array_agg(a.id ORDER BY a.shard), min(a.shards) INTO found_ids, declared
        FROM ledger_account a
        WHERE a.owner = p_owners[i] AND a.kind = p_kinds[i] AND a.currency = p_currencies[i];
        IF found_ids IS NULL OR cardinality(found_ids) < declared THEN
            declared := coalesce(declared, p_shards[i]);
            INSERT INTO ledger_account (owner, kind, currency, shard, shards, balance,
                                        allow_negative, created_at)
            SELECT p_owners[i], p_kinds[i], p_currencies[i], g, declared, 0,
                   p_allow_negative[i], p_posted_at
            FROM generate_series(0, declared - 1) AS g
            ON CONFLICT (owner, kind, currency, shard) DO NOTHING;
            SELECT array_agg(a.id ORDER BY a.shard) INTO found_ids
            FROM ledger_account a
            WHERE a.owner = p_owners[i] AND a.kind = p_kinds[i]
              AND a.currency = p_currencies[i];
        END IF;
        first_row := first_row || (cardinality(all_rows) + 1);
        row_count := row_count || cardinality(found_ids);
        all_rows := all_rows || found_ids;
        IF cardinality(found_ids) = 1 THEN
            lock_ids := lock_ids || found_ids[1];
        ELSIF p_nets[i] > 0 THEN  -- a credit locks one shard, chosen at random
            chosen := found_ids[1 + floor(random() * cardinality(found_ids))::integer];
            lock_ids := lock_ids || chosen;
            all_rows[cardinality(all_rows) - cardinality(found_ids) + 1] := chosen;
            row_count[i] := 1;
        ELSE                      -- a debit locks every shard
            lock_ids := lock_ids || found_ids;
        END IF;
    END LOOP;

    -- Lock in ascending id: two entries over the same rows queue, never deadlock.
    FOR r IN
        SELECT a.id, a.balance, a.allow_negative FROM ledger_account a
        WHERE a.id = ANY (lock_ids) ORDER BY a.id FOR UPDATE
    LOOP
        locked_ids := locked_ids || r.id;
        locked_balances := locked_balances || r.balance;
        locked_negative := locked_negative || r.allow_negative;
    END LOOP;

    FOR i IN 1..n LOOP
        IF row_count[i] = 1 THEN
            chosen := all_rows[first_row[i]];
            pos := array_position(locked_ids, chosen);
            IF locked_balances[pos] + p_nets[i] < 0 AND NOT locked_negative[pos] THEN
                RAISE USING ERRCODE = 'ZL001',
                    MESSAGE = p_owners[i] || '/' || p_kinds[i] || '/' || p_currencies[i];
            END IF;
            account_ids := account_ids || chosen;
            amounts := amounts || p_nets[i];
            currencies := currencies || p_currencies[i];
            balances_after := balances_after || (locked_balances[pos] + p_nets[i]);
        ELSE  -- a debit of a sharded account: the fullest shards first (domain.plan_debit)
            remaining := -p_nets[i];
            FOR r IN
                SELECT t.id, t.balance
                FROM unnest(locked_ids, locked_balances) AS t(id, balance)
                WHERE t.id = ANY (all_rows[first_row[i]:first_row[i] + row_count[i] - 1])
                ORDER BY t.balance DESC, t.id
            LOOP
                EXIT WHEN remaining = 0;
                take := least(r.balance, remaining);
                IF take > 0 THEN
                    account_ids := account_ids || r.id;
                    amounts := amounts || -take;
                    currencies := currencies || p_currencies[i];
                    balances_after := balances_after || (r.balance - take);
                    remaining := remaining - take;
                END IF;
            END LOOP;
            IF remaining > 0 THEN
                RAISE USING ERRCODE = 'ZL001',
                    MESSAGE = p_owners[i] || '/' || p_kinds[i] || '/' || p_currencies[i];
            END IF;
        END IF;
    END LOOP;

    IF EXISTS (
        SELECT 1 FROM unnest(currencies, amounts) AS t(currency, amount)
        GROUP BY t.currency HAVING sum(t.amount) <> 0
    ) THEN
        RAISE EXCEPTION 'postings do not sum to zero per currency' USING ERRCODE = 'ZL002';
    END IF;

    UPDATE ledger_account a SET balance = t.balance
    FROM unnest(account_ids, balances_after) AS t(id, balance)
    WHERE a.id = t.id;

    INSERT INTO ledger_posting (entry_id, account_id, amount, currency, balance_after,
                                posted_at)
    SELECT entry_id, t.id, t.amount, t.currency, t.balance, p_posted_at
    FROM unnest(account_ids, amounts, currencies, balances_after)
         WITH ORDINALITY AS t(id, amount, currency, balance, ord)
    ORDER BY t.ord;
END;
$$;
"""

DROP = (
    "DROP FUNCTION IF EXISTS ledger_post(text, text, text, jsonb, bigint, bigint, timestamptz, "
    "text[], text[], text[], bigint[], integer[], boolean[])"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_card_holds")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
