"""`zhifu ledger check | report | export` and `zhifu fx import | rates`, run in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhifu.cli import main
from zhifu.kernel.money import Money
from zhifu.ledger import services
from zhifu.ledger.domain import BALANCE_ON
from zhifu.ledger.models import Account

# The commands open and close their own connections, so the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

SAMPLE = Path(__file__).resolve().parents[3] / "src/zhifu/fx/data/eurofxref-sample.xml"


def _activity() -> None:
    services.top_up(BALANCE_ON, "user:1", Money(12_345, "USD"), "cli-topup")
    services.pay_from_balance(BALANCE_ON, "user:1", "merchant:m", Money(2_345, "USD"), "cli-pay")


def test_ledger_check_passes_on_a_healthy_ledger(capsys: pytest.CaptureFixture[str]) -> None:
    _activity()
    assert main(["ledger", "check"]) == 0
    assert "every invariant holds" in capsys.readouterr().out


def test_ledger_check_exits_non_zero_listing_each_violation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _activity()
    account = Account.objects.get(owner="user:1")
    Account.objects.filter(pk=account.pk).update(balance=account.balance + 1)

    assert main(["ledger", "check"]) == 1

    captured = capsys.readouterr()
    assert f"balance-mismatch: account {account.pk} (user:1/buyer_balance/USD)" in captured.out
    assert "stored 10001, postings sum to 10000" in captured.out
    assert "balance-after: account" in captured.out
    assert "currency-not-zero: USD" in captured.out
    assert "3 violation(s)" in captured.err


def test_ledger_report_prints_totals_by_currency_and_kind(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _activity()
    assert main(["ledger", "report"]) == 0
    out = capsys.readouterr().out
    assert "USD      buyer_balance" in out
    for amount in ("100.00", "-123.45", "23.45"):
        assert amount in out


def test_ledger_export_writes_the_statement_as_csv(capsys: pytest.CaptureFixture[str]) -> None:
    _activity()
    assert main(["ledger", "export", "user:1", "buyer_balance", "USD"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("posted_at,reference")
    assert len(lines) == 3


def test_fx_import_reads_the_ecb_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fx", "import", str(SAMPLE)]) == 0
    assert "13 rates read (2026-11-25), 13 new" in capsys.readouterr().out
    assert main(["fx", "rates"]) == 0
    assert "EUR/USD" in capsys.readouterr().out


def test_fx_import_reads_a_csv_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("date,base,quote,rate\n2026-11-25,USD,CNY,7.10\n")
    assert main(["fx", "import", str(path), "--source", "bank"]) == 0
    assert "1 rates read" in capsys.readouterr().out


def test_fx_import_refuses_a_bad_file_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("date,currency,rate\n2026-11-25,USD,abc\n")
    assert main(["fx", "import", str(path)]) == 1
    assert capsys.readouterr().err.strip() == (
        "zhifu: fx import: line 2: 'abc' is not a decimal rate"
    )


def test_fx_import_sample_dates_the_sample_now(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fx", "import", "--sample"]) == 0
    assert "13 new" in capsys.readouterr().out


def test_the_ledger_check_lists_a_negative_buyer_balance(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _activity()
    # The CHECK constraint keys on the row's allow_negative flag; tamper with both.
    Account.objects.filter(owner="user:1").update(allow_negative=True, balance=-5)

    assert main(["ledger", "check"]) == 1

    out = capsys.readouterr().out
    assert "negative-balance: account" in out
    assert "balance -5 on an account that must not go negative" in out
    assert "account-flag: account" in out


def test_the_ledger_benchmark_refuses_anything_but_postgresql(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "ledger", "--database-url", "sqlite:///x.sqlite3"]) == 1
    assert "needs PostgreSQL" in capsys.readouterr().err
