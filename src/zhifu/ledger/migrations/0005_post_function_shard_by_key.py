"""PostgreSQL: a credit to a sharded account tries its shards one by one, by primary key.

0004's `ledger_post` chose the shard of a sharded credit with one query over the account's
shard ids (`WHERE id = ANY (slice of a PL/pgSQL array) ORDER BY random() LIMIT 1 FOR UPDATE
SKIP LOCKED`). PL/pgSQL runs it with a generic plan, and that plan was a sequential scan of
the whole `ledger_account` table: every payment to a sharded merchant read every account
row (65 buffers of the 125 such an entry touched in `bench/ledger.py`, against 62 for an
entry between two buyers), a cost that grows with the number of accounts. The function is
otherwise 0004's: here it tries the shards one after another from a random one, each
`SELECT ... WHERE id = chosen FOR UPDATE SKIP LOCKED` an index lookup of one row; the first
free shard is taken, and when all are held it waits for one at random, as before. The lock
order (and so freedom from deadlock) is unchanged: SKIP LOCKED never waits.

The account lookups also return the lowest and highest id of the account's rows, which
0004 found with two more statements per sharded credit. The function's text is 0004's with
these blocks replaced (AMENDMENTS), so the two cannot drift apart anywhere else; going back
re-creates 0004's.
"""

import importlib

from django.db import migrations

_0004 = importlib.import_module("zhifu.ledger.migrations.0004_post_function")

_ANY_FREE_SHARD = """\
                SELECT a.id, a.balance, a.allow_negative INTO r FROM ledger_account a
                WHERE a.id = ANY (all_rows[first_row[acct]:
                                           first_row[acct] + row_count[acct] - 1])
                ORDER BY random() LIMIT 1 FOR UPDATE SKIP LOCKED;
                IF NOT FOUND THEN  -- every shard is held: wait for one, at random
"""
_SHARD_BY_SHARD = """\
                -- Shard by shard from a random one, each by its primary key (a query over
                -- all the shard ids at once got a generic plan scanning the whole table).
                got := false;
                start := floor(random() * row_count[acct])::integer;
                FOR j IN 0..row_count[acct] - 1 LOOP
                    chosen := all_rows[first_row[acct] + mod(start + j, row_count[acct])];
                    SELECT a.id, a.balance, a.allow_negative INTO r FROM ledger_account a
                    WHERE a.id = chosen FOR UPDATE SKIP LOCKED;
                    IF FOUND THEN
                        got := true;
                        EXIT;
                    END IF;
                END LOOP;
                IF NOT got THEN  -- every shard is held: wait for one, at random
"""
# The account lookups also return the lowest and highest row id, which a sharded credit's
# lock slot needs (0004 computed them with two more statements per entry).
_LOOKUP = """\
        SELECT array_agg(a.id ORDER BY a.shard), min(a.shards) INTO found_ids, declared
"""
_LOOKUP_WITH_IDS = """\
        SELECT array_agg(a.id ORDER BY a.shard), min(a.shards), min(a.id), max(a.id)
        INTO found_ids, declared, id_lo, id_hi
"""
_RELOOKUP = """\
            SELECT array_agg(a.id ORDER BY a.shard) INTO found_ids
"""
_RELOOKUP_WITH_IDS = """\
            SELECT array_agg(a.id ORDER BY a.shard), min(a.id), max(a.id)
            INTO found_ids, id_lo, id_hi
"""
_SLOT_BOUNDS = """\
            slot_lo := slot_lo || (SELECT min(x) FROM unnest(found_ids) AS x);
            slot_hi := slot_hi || (SELECT max(x) FROM unnest(found_ids) AS x);
"""
_SLOT_BOUNDS_FOUND = """\
            slot_lo := slot_lo || id_lo;
            slot_hi := slot_hi || id_hi;
"""
_DECLARE = "    chosen bigint;\n"
_DECLARE_MORE = (
    _DECLARE + "    got boolean;\n    start integer;\n    id_lo bigint;\n    id_hi bigint;\n"
)

AMENDMENTS = (
    (_ANY_FREE_SHARD, _SHARD_BY_SHARD),
    (_LOOKUP, _LOOKUP_WITH_IDS),
    (_RELOOKUP, _RELOOKUP_WITH_IDS),
    (_SLOT_BOUNDS, _SLOT_BOUNDS_FOUND),
    (_DECLARE, _DECLARE_MORE),
)


def _amended(text: str) -> str:
    for old, new in AMENDMENTS:
        assert text.count(old) == 1, "0004's ledger_post is not the text this migration amends"
        text = text.replace(old, new)
    return text


PG_FUNCTION = _amended(_0004.PG_FUNCTION)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_0004.PG_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_post_function")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
