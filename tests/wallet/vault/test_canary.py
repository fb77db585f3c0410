"""docs/security.md SEC-26 to SEC-28: after 1,000 cards, no card number and no CVC anywhere.

Every table of every database (default and vault) is dumped, every log line is captured
(with SQL statements and their parameters), every e-mail is sent and read; then the dumps
are searched for each full card number, for any 13-19 digit run that passes the Luhn check,
and for the canary CVCs.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.db import connections

from tests.wallet.stepup import adding, deleting
from tests.wallet.vault.support import Buyer, card_input, generate_numbers
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.kernel.masking import luhn_valid
from zhifu.outbox.services import dispatch_due
from zhifu.vault import domain, services

pytestmark = [
    pytest.mark.django_db(databases=["default", "vault"]),
    pytest.mark.slow,
]

CARDS = 1000
CVC3 = ["739", "582", "964", "417"]
CVC4 = ["7391", "5820", "9641", "4173"]
DIGIT_RUN = re.compile(r"(?<!\d)\d{13,19}(?!\d)")
SAVEPOINT = re.compile(r"\bs\d+_x\d+\b")
HEX_BLOB = re.compile(r"(?:X'|\\x|b')[0-9a-fA-F\\x]{24,}'?")
# A stored SHA-256 (of an e-mailed link's token, one per card e-mail): random hex holds
# Luhn-valid digit runs by chance; the exact search below still covers it.
SHA256_HEX = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")


def _text(value: Any) -> str:
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def dump_databases() -> Iterator[tuple[str, str, list[Any]]]:
    """(database, table, row) for every row of every table of every database."""
    for alias in ("default", "vault"):
        conn = connections[alias]
        with conn.cursor() as cur:
            tables = conn.introspection.table_names(cur)
            for table in tables:
                cur.execute(f"SELECT * FROM {conn.ops.quote_name(table)}")
                for row in cur.fetchall():
                    yield alias, table, list(row)


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    saved = {a: connections[a].force_debug_cursor for a in ("default", "vault")}
    for alias in saved:
        connections[alias].force_debug_cursor = True  # log every SQL statement with params
    # The site's own handlers (the console's structlog rendering, with its masking) are
    # silenced meanwhile: the search reads the records themselves, before any masking, and
    # rendering 40,000 SQL lines nobody reads was a third of this test's time.
    others = [h for h in logging.getLogger().handlers if h is not caplog.handler]
    levels = [h.level for h in others]
    for handler in others:
        handler.setLevel(logging.CRITICAL + 1)
    yield caplog
    for handler, level in zip(others, levels, strict=True):
        handler.setLevel(level)
    for alias, value in saved.items():
        connections[alias].force_debug_cursor = value


def test_no_card_number_or_cvc_reaches_a_table_a_log_or_an_e_mail(
    all_logs: pytest.LogCaptureFixture,
) -> None:
    numbers = generate_numbers(CARDS, avoid_last4=set(CVC4))
    network = FakeCardNetwork()
    # 200 buyers with 5 cards each: within the per-account card-check limit (SEC-36).
    buyers = [Buyer(i, f"buyer{i}@example.com") for i in range(1, 201)]
    cvcs: list[str] = []
    for i, number in enumerate(numbers):
        amex = domain.parse_number(number).scheme is domain.Scheme.AMEX
        cvc = (CVC4 if amex else CVC3)[i % 4]
        cvcs.append(cvc)
        services.add_card(
            buyers[i % len(buyers)],
            card_input(number, cvc=cvc, label=f"card {i % 97}"),
            network=network,
            email=buyers[i % len(buyers)].email,
            step_up=adding(buyers[i % len(buyers)]),
        )
    # Some deletions and decryptions too, so every path has run.
    for card in services.list_cards(buyers[0])[:5]:
        services.reveal_number(card.id, actor="test", purpose="canary")
        services.delete_card(
            buyers[0], card.id, email=buyers[0].email, step_up=deleting(buyers[0], card.id)
        )
    while dispatch_due(batch=500):
        pass

    assert network.seen_cvcs == cvcs  # the CVCs did reach the network, once each
    assert len(mail.outbox) == CARDS + 5

    haystacks: list[tuple[str, str]] = []
    binary: list[tuple[str, str]] = []
    exact_only: list[tuple[str, str]] = []
    sql_logs: list[tuple[str, str]] = []
    columns_seen: set[str] = set()
    for alias, table, row in dump_databases():
        for value in row:
            if isinstance(value, int):
                continue  # counters and keys the database assigns (checked by name below)
            if isinstance(value, bytes | memoryview):
                # Ciphertext: searched for card numbers as base64 and as raw bytes; random
                # bytes are not searched for three digits (they would match by chance).
                binary.append((f"{alias}.{table}", _text(value)))
                binary.append((f"{alias}.{table} (raw)", bytes(value).decode("latin-1")))
            else:
                haystacks.append((f"{alias}.{table}", _text(value)))
    for alias in ("default", "vault"):
        conn = connections[alias]
        with conn.cursor() as cur:
            for table in conn.introspection.table_names(cur):
                for col in conn.introspection.get_table_description(cur, table):
                    columns_seen.add(col.name.lower())
    for record in all_logs.records:
        # SQL statements are searched for card numbers. Not for CVCs: their parameters are
        # the table contents searched above, plus row ids (1..2000) that a 3-digit canary
        # would match by chance.
        where = "sql-log" if record.name == "django.db.backends" else "log"
        for text in (record.getMessage(), str(record.msg)):
            (sql_logs if where == "sql-log" else haystacks).append((where, text))
    for message in mail.outbox:
        # Message-ID is "<time.pid.random@host>" and the MIME boundary "====...digits==":
        # digit runs that are no card number.
        mime = message.message()
        text = mime.as_string()
        haystacks.append(("mail", re.sub(r"(?m)={15}[0-9]+==|^Message-ID: .*$", "", text)))
        exact_only.append(("mail (whole)", text))
        for part in mime.walk():  # each part decoded too (quoted-printable hides nothing)
            if part.get_content_maintype() == "text":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                haystacks.append((f"mail ({part.get_content_type()})", payload.decode()))
    assert any("vault_storedcard" in h for _, h in sql_logs)  # the SQL log did run
    assert any("vault.card_added" in h for _, h in haystacks)  # and the app's own events

    number_set = set(numbers)
    hits = []
    for where, text in haystacks + binary + sql_logs:
        # SQL logs show ciphertext parameters as hex literals (X'..' on SQLite, '\\x..' on
        # PostgreSQL): random hex holds Luhn-valid digit runs by chance, so the generic scan
        # skips them; the exact search below still covers them.
        # Savepoint names ("s140501290490752_x1") carry the thread id.
        scanned = (
            SAVEPOINT.sub("<sp>", HEX_BLOB.sub("<blob>", text)) if where == "sql-log" else text
        )
        scanned = SHA256_HEX.sub("<sha256>", scanned)
        for run in DIGIT_RUN.findall(scanned):
            if run in number_set or luhn_valid(run):
                hits.append((where, "card number", run, text[:120]))
    # A CVC is a standalone token: not part of a longer number, id or hex digest.
    cvc_token = re.compile(rf"(?<![0-9A-Za-z])({'|'.join(CVC3 + CVC4)})(?![0-9A-Za-z])")
    for where, text in haystacks:
        for found in cvc_token.findall(text):
            hits.append((where, "cvc", found, text[:200]))
    assert hits == []
    # Whole numbers as substrings too (e.g. inside longer digit runs or raw bytes). A number
    # is all digits, so it can only occur inside a run of 13 or more digits: each such run's
    # windows of every card length are looked up, instead of 1,000 scans of the whole text.
    joined = "\n".join(text for _, text in haystacks + binary + exact_only + sql_logs)
    lengths = {len(n) for n in numbers}
    found = {
        run[start : start + length]
        for run in re.findall(rf"\d{{{min(lengths)},}}", joined)
        for length in lengths
        for start in range(len(run) - length + 1)
    }
    assert [n for n in numbers if n in found] == []
    # No column that could hold a CVC (PCI DSS 3.3.1.2).
    assert {c for c in columns_seen if re.search(r"cvc|cvv|csc|cid|security_code", c)} == set()
