"""Card rules: schemes by IIN range, lengths, Luhn, expiry, names, CVC (table-driven)."""

from __future__ import annotations

import datetime as dt

import pytest
from stdnum import luhn

from zhifu.vault import domain
from zhifu.vault.domain import CardError, Scheme

TODAY = dt.date(2026, 11, 26)


def with_check_digit(partial: str) -> str:
    return partial + luhn.calc_check_digit(partial)


# (scheme, a valid number, an invalid number, why the invalid one fails)
SCHEME_CASES = [
    (Scheme.VISA, "4242424242424242", "4242424242424241", CardError.NUMBER_CHECKSUM),
    (Scheme.VISA, "4222222222222", "42222222222222", CardError.NUMBER_LENGTH),
    (Scheme.MASTERCARD, "5555555555554444", "5555555555554445", CardError.NUMBER_CHECKSUM),
    (Scheme.MASTERCARD, "2223003122003222", "22230031220032", CardError.NUMBER_LENGTH),
    (Scheme.MASTERCARD, with_check_digit("272099999999999"), "2720999999999990",
     CardError.NUMBER_CHECKSUM),
    (Scheme.AMEX, "378282246310005", "3782822463100050", CardError.NUMBER_LENGTH),
    (Scheme.AMEX, "371449635398431", "371449635398432", CardError.NUMBER_CHECKSUM),
    (Scheme.UNIONPAY, "6200000000000005", "620000000000", CardError.NUMBER_LENGTH),
    (Scheme.UNIONPAY, "6212345678901234", "62123456789012345678", CardError.NUMBER_LENGTH),
    (Scheme.UNIONPAY, with_check_digit("810000000000000"), "81000000000", CardError.NUMBER_LENGTH),
    (Scheme.JCB, "3566002020360505", "3566002020360506", CardError.NUMBER_CHECKSUM),
    (Scheme.MIR, "2200000000000004", "2200000000000005", CardError.NUMBER_CHECKSUM),
    (Scheme.MIR, with_check_digit("220400000000000"), "220400000000", CardError.NUMBER_LENGTH),
    (Scheme.MAESTRO, "6759649826438453", "6759649826438454", CardError.NUMBER_CHECKSUM),
    (Scheme.MAESTRO, with_check_digit("50000000000"), "50000000000", CardError.NUMBER_LENGTH),
    (Scheme.DISCOVER, "6011111111111117", "6011111111111118", CardError.NUMBER_CHECKSUM),
    (Scheme.DISCOVER, with_check_digit("644000000000000"), "64400000000", CardError.NUMBER_LENGTH),
    (Scheme.DINERS, "36227206271667", "36227206271668", CardError.NUMBER_CHECKSUM),
    (Scheme.DINERS, "3056930009020004", "3056930009020", CardError.NUMBER_LENGTH),
    (Scheme.ELO, "5067660000000000", "5067660000000001", CardError.NUMBER_CHECKSUM),
    (Scheme.ELO, "4011780000000006", "40117800000000061", CardError.NUMBER_LENGTH),
    (Scheme.HIPERCARD, "6062820000000003", "6062820000000004", CardError.NUMBER_CHECKSUM),
    (Scheme.HIPERCARD, with_check_digit("384100000000000"), "38410000000000",
     CardError.NUMBER_LENGTH),
    (Scheme.RUPAY, "6521500000000006", "6521500000000007", CardError.NUMBER_CHECKSUM),
    (Scheme.RUPAY, with_check_digit("508500000000000"), "50850000000000009",
     CardError.NUMBER_LENGTH),
    (Scheme.TROY, "9792000000000003", "9792000000000004", CardError.NUMBER_CHECKSUM),
]  # fmt: skip


@pytest.mark.parametrize(("scheme", "valid", "invalid", "error"), SCHEME_CASES)
def test_each_scheme_accepts_a_valid_number_and_refuses_an_invalid_one(
    scheme: Scheme, valid: str, invalid: str, error: CardError
) -> None:
    card = domain.parse_number(valid)
    assert card.scheme is scheme
    assert domain.detect_scheme(invalid) is scheme
    with pytest.raises(domain.InvalidCard) as exc:
        domain.parse_number(invalid)
    assert exc.value.error is error


def test_every_scheme_has_a_case() -> None:
    assert {case[0] for case in SCHEME_CASES} == set(Scheme)


@pytest.mark.parametrize(
    ("number", "scheme"),
    [
        ("4011780000000006", Scheme.ELO),  # Elo inside Visa's 4
        ("5090000000000000", Scheme.ELO),  # Elo inside Maestro's 50
        ("6500310000000000", Scheme.ELO),  # Elo inside Discover's 65
        ("3841000000000000", Scheme.HIPERCARD),  # Hipercard inside Diners' 38
        ("6521500000000000", Scheme.RUPAY),  # RuPay inside Discover's 65
        ("2200000000000000", Scheme.MIR),
        ("2204999999999999", Scheme.MIR),
        ("2205000000000000", None),  # between Mir and Mastercard's 2-series
        ("2220999999999999", None),
        ("2221000000000000", Scheme.MASTERCARD),
        ("2720999999999999", Scheme.MASTERCARD),
        ("2721000000000000", None),
        ("5100000000000000", Scheme.MASTERCARD),
        ("5599999999999999", Scheme.MASTERCARD),
        ("9792000000000000", Scheme.TROY),
        ("3528000000000000", Scheme.JCB),
        ("3589999999999999", Scheme.JCB),
        ("1234567890123456", None),
    ],
)
def test_most_specific_range_wins(number: str, scheme: Scheme | None) -> None:
    assert domain.detect_scheme(number) is scheme


def test_unionpay_numbers_without_a_luhn_digit_are_accepted() -> None:
    number = "6212345678901234"
    assert not luhn.is_valid(number)
    assert domain.parse_number(number).scheme is Scheme.UNIONPAY


def test_spaces_and_dashes_are_ignored_letters_are_not() -> None:
    assert domain.parse_number("4242 4242-4242\u00a04242").digits == "4242424242424242"
    with pytest.raises(domain.InvalidCard) as exc:
        domain.parse_number("4242 4242 4242 424x")
    assert exc.value.error is CardError.NUMBER_NOT_DIGITS
    with pytest.raises(domain.InvalidCard) as exc:
        domain.parse_number("   ")
    assert exc.value.error is CardError.NUMBER_REQUIRED
    with pytest.raises(domain.InvalidCard) as exc:
        domain.parse_number("\u0664\u0662\u0664\u0662" * 4)  # Arabic-Indic digits
    assert exc.value.error is CardError.NUMBER_NOT_DIGITS


def test_a_card_number_repr_is_masked() -> None:
    card = domain.parse_number("4242424242424242")
    assert "4242424242424242" not in repr(card)
    assert "4242424242424242" not in str(card)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("11/26", (11, 2026)), ("1/27", (1, 2027)), ("12 / 2030", (12, 2030)), ("11/46", (11, 2046))],
)
def test_expiry_accepted(raw: str, expected: tuple[int, int]) -> None:
    e = domain.parse_expiry(raw, TODAY)
    assert (e.month, e.year) == expected


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("10/26", CardError.EXPIRY_PAST),
        ("12/25", CardError.EXPIRY_PAST),
        ("12/46", CardError.EXPIRY_TOO_FAR),
        ("01/99", CardError.EXPIRY_TOO_FAR),
        ("13/27", CardError.EXPIRY_FORMAT),
        ("00/27", CardError.EXPIRY_FORMAT),
        ("1227", CardError.EXPIRY_FORMAT),
        ("", CardError.EXPIRY_FORMAT),
        ("ab/cd", CardError.EXPIRY_FORMAT),
    ],
)
def test_expiry_refused(raw: str, error: CardError) -> None:
    with pytest.raises(domain.InvalidCard) as exc:
        domain.parse_expiry(raw, TODAY)
    assert exc.value.error is error


def test_a_card_is_valid_through_the_last_day_of_its_month() -> None:
    e = domain.Expiry(2, 2028)
    assert e.last_day() == dt.date(2028, 2, 29)
    assert domain.Expiry(12, 2026).last_day() == dt.date(2026, 12, 31)
    assert not domain.Expiry(12, 2026).expired(dt.date(2026, 12, 31))
    assert domain.Expiry(12, 2026).expired(dt.date(2027, 1, 1))


# The first and last day of 28-, 29-, 30- and 31-day months, and of December.
MONTH_EDGES = [
    dt.date(2027, 2, 1), dt.date(2027, 2, 28),  # 28 days
    dt.date(2028, 2, 1), dt.date(2028, 2, 29),  # 29 days
    dt.date(2026, 11, 1), dt.date(2026, 11, 30),  # 30 days
    dt.date(2026, 1, 1), dt.date(2026, 1, 31),  # 31 days
    dt.date(2026, 12, 1), dt.date(2026, 12, 31),  # December, across the year
]  # fmt: skip


def _shift(today: dt.date, months: int) -> domain.Expiry:
    index = today.year * 12 + today.month - 1 + months
    return domain.Expiry(index % 12 + 1, index // 12)


@pytest.mark.parametrize("today", MONTH_EDGES, ids=str)
def test_expires_soon_means_this_month_or_the_next(today: dt.date) -> None:
    assert _shift(today, 0).expires_soon(today)
    assert _shift(today, 1).expires_soon(today)
    assert not _shift(today, 2).expires_soon(today)
    assert not _shift(today, 12).expires_soon(today)
    # A card whose month is over has expired: it is not "expiring".
    assert _shift(today, -1).expired(today)
    assert not _shift(today, -1).expires_soon(today)
    assert not _shift(today, 0).expired(today)


@pytest.mark.parametrize(
    "name", ["ANNA IVANOVA", "Jean-Luc O'Neil", "Анна Иванова", "Li Wei", "J. R. R. Tolkien"]
)
def test_holder_names_accepted(name: str) -> None:
    assert domain.parse_holder_name(f"  {name} ") == name


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", CardError.NAME_REQUIRED),
        ("A", CardError.NAME_LENGTH),
        ("A" * 27, CardError.NAME_LENGTH),
        ("ANNA 4242424242424242", CardError.NAME_CHARACTERS),
        ("Anna <b>", CardError.NAME_CHARACTERS),
        ("-- ''", CardError.NAME_CHARACTERS),
    ],
)
def test_holder_names_refused(name: str, error: CardError) -> None:
    with pytest.raises(domain.InvalidCard) as exc:
        domain.parse_holder_name(name)
    assert exc.value.error is error


@pytest.mark.parametrize(
    ("cvc", "scheme", "ok"),
    [
        ("123", Scheme.VISA, True),
        ("1234", Scheme.VISA, False),
        ("1234", Scheme.AMEX, True),
        ("123", Scheme.AMEX, False),
        ("12a", Scheme.MASTERCARD, False),
        ("", Scheme.MIR, False),
    ],
)
def test_cvc_length_depends_on_the_scheme(cvc: str, scheme: Scheme, ok: bool) -> None:
    if ok:
        assert domain.check_cvc(cvc, scheme) == cvc
    else:
        with pytest.raises(domain.InvalidCard):
            domain.check_cvc(cvc, scheme)


def test_labels_refuse_digit_runs_and_long_text() -> None:
    assert domain.parse_label("  Salary   card ") == "Salary card"
    assert domain.parse_label("Card 2") == "Card 2"
    with pytest.raises(domain.InvalidCard):
        domain.parse_label("4242 4242 4242 4242")
    with pytest.raises(domain.InvalidCard):
        domain.parse_label("x" * 41)


def test_masked_display_shows_first_and_last_four_only() -> None:
    import re

    shown = domain.mask("4242", "4242")
    assert shown == "4242 •••• •••• 4242"
    assert re.fullmatch(r"^\d{4}[*•]+\d{4}$", shown.replace(" ", ""))


def test_grouping_follows_the_card() -> None:
    assert domain.group_for_display("378282246310005", Scheme.AMEX) == "3782 822463 10005"
    assert domain.group_for_display("4242424242424242", Scheme.VISA) == "4242 4242 4242 4242"
