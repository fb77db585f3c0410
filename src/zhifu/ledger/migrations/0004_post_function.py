"""PostgreSQL: post one entry in one statement, `SELECT * FROM ledger_post(...)`.

The function does, server-side and in this order, what `services._apply` does on SQLite: it
inserts the entry (a duplicate reference fails on the UNIQUE index before any account is
touched), creates any missing account row, locks the rows it will change in ascending id
order, chooses the postings (a credit to a sharded account goes to a shard no other
transaction holds; a debit takes from the fullest shards first), refuses a forbidden
negative balance, and writes the postings and the new balances. One round trip instead of six, and no network wait while
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
    target bigint[] := '{}';     -- per account: the row its one posting goes to (NULL for a
                                 -- sharded debit, which takes from several)
    -- What to lock, one slot per row, or per sharded credit (any one of its shards):
    slot_lo bigint[] := '{}';
    slot_hi bigint[] := '{}';
    slot_account integer[] := '{}';  -- the credited account, 0 for a single row
    lock_ids bigint[] := '{}';
    in_order boolean := false;
    acct integer;
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
            target := target || found_ids[1];
            slot_lo := slot_lo || found_ids[1];
            slot_hi := slot_hi || found_ids[1];
            slot_account := slot_account || 0;
        ELSIF p_nets[i] > 0 THEN  -- a credit locks one shard, any
            target := target || NULL::bigint;
            slot_lo := slot_lo || (SELECT min(x) FROM unnest(found_ids) AS x);
            slot_hi := slot_hi || (SELECT max(x) FROM unnest(found_ids) AS x);
            slot_account := slot_account || i;
            in_order := true;
        ELSE                      -- a debit locks every shard
            target := target || NULL::bigint;
            slot_lo := slot_lo || found_ids;
            slot_hi := slot_hi || found_ids;
            slot_account := slot_account || array_fill(0, ARRAY[cardinality(found_ids)]);
        END IF;
    END LOOP;

    -- Every lock is taken in ascending id, so two entries over the same rows queue and
    -- never deadlock: a transaction only ever waits for a row above all the rows it holds.
    -- A sharded credit takes, at its place in that order, a shard no one holds (SKIP
    -- LOCKED), so payments to one merchant do not queue while a shard is free; it can keep
    -- its place only if its shards' ids do not interleave with the entry's other rows (they
    -- are created together, so they seldom do). Otherwise it takes a shard at random.
    IF in_order THEN
        SELECT array_agg(t.lo ORDER BY t.lo), array_agg(t.hi ORDER BY t.lo),
               array_agg(t.credited ORDER BY t.lo)
        INTO slot_lo, slot_hi, slot_account
        FROM unnest(slot_lo, slot_hi, slot_account) AS t(lo, hi, credited);
        FOR k IN 2..cardinality(slot_lo) LOOP
            IF slot_lo[k] <= slot_hi[k - 1] THEN
                in_order := false;
            END IF;
        END LOOP;
    END IF;
    IF in_order THEN
        FOR k IN 1..cardinality(slot_lo) LOOP
            acct := slot_account[k];
            IF acct = 0 THEN
                SELECT a.id, a.balance, a.allow_negative INTO STRICT r FROM ledger_account a
                WHERE a.id = slot_lo[k] FOR UPDATE;
            ELSE
                SELECT a.id, a.balance, a.allow_negative INTO r FROM ledger_account a
                WHERE a.id = ANY (all_rows[first_row[acct]:
                                           first_row[acct] + row_count[acct] - 1])
                ORDER BY random() LIMIT 1 FOR UPDATE SKIP LOCKED;
                IF NOT FOUND THEN  -- every shard is held: wait for one, at random
                    -- (chosen first: random() in the WHERE would be drawn row by row)
                    chosen := all_rows[first_row[acct]
                                       + floor(random() * row_count[acct])::integer];
                    SELECT a.id, a.balance, a.allow_negative INTO STRICT r
                    FROM ledger_account a WHERE a.id = chosen FOR UPDATE;
                END IF;
                target[acct] := r.id;
            END IF;
            locked_ids := locked_ids || r.id;
            locked_balances := locked_balances || r.balance;
            locked_negative := locked_negative || r.allow_negative;
        END LOOP;
    ELSE
        FOR i IN 1..n LOOP
            IF target[i] IS NULL AND p_nets[i] > 0 THEN
                target[i] := all_rows[first_row[i] + floor(random() * row_count[i])::integer];
            END IF;
        END LOOP;
        lock_ids := ARRAY(SELECT t.id FROM unnest(target) AS t(id) WHERE t.id IS NOT NULL)
            || ARRAY(SELECT t.lo FROM unnest(slot_lo, slot_account) AS t(lo, credited)
                     WHERE t.credited = 0);
        FOR r IN
            SELECT a.id, a.balance, a.allow_negative FROM ledger_account a
            WHERE a.id = ANY (lock_ids) ORDER BY a.id FOR UPDATE
        LOOP
            locked_ids := locked_ids || r.id;
            locked_balances := locked_balances || r.balance;
            locked_negative := locked_negative || r.allow_negative;
        END LOOP;
    END IF;

    FOR i IN 1..n LOOP
        IF target[i] IS NOT NULL THEN
            chosen := target[i];
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
