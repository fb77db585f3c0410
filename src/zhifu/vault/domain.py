"""Card rules, free of Django: card-number schemes, Luhn, expiry, cardholder name, CVC.

Each check returns error *codes*, never sentences: the pages translate codes into the
buyer's language (zhifu.vault.forms), and the cardnet simulator keeps its own rules.

The scheme table is ordered by prefix length, longest first, so a specific range (Elo's
401178, Hipercard's 3841, Mir's 2200-2204, Troy's 9792) wins over the broad one it sits in
(Visa's 4, Diners' 38, Mastercard's 2221-2720 does not overlap Mir). Sources: the schemes'
published IIN ranges as collected by the card-validation libraries (Stripe's, braintree's
credit-card-type) in 2025; ranges change, so the table lives in one place with tests.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import unicodedata
from dataclasses import dataclass

from stdnum import luhn

from zhifu.connectors.base import DeclineCode

MAX_YEARS_AHEAD = 20
NAME_MIN, NAME_MAX = 2, 26  # ISO/IEC 7813 track 1 name field: 2-26 characters
LABEL_MAX = 40


class Scheme(enum.Enum):
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    UNIONPAY = "unionpay"
    JCB = "jcb"
    MIR = "mir"
    MAESTRO = "maestro"
    DISCOVER = "discover"
    DINERS = "diners"
    ELO = "elo"
    HIPERCARD = "hipercard"
    RUPAY = "rupay"
    TROY = "troy"


@dataclass(frozen=True)
class SchemeRules:
    scheme: Scheme
    display_name: str  # a brand name: the same in every language
    lengths: frozenset[int]
    cvc_length: int = 3
    # UnionPay issued numbers without a Luhn check digit (many 62 cards before 2010):
    # the network accepts them, so zhifu does too (the length is still checked).
    luhn_required: bool = True


def _lengths(*values: int | range) -> frozenset[int]:
    out: set[int] = set()
    for v in values:
        out.update(v if isinstance(v, range) else (v,))
    return frozenset(out)


RULES: dict[Scheme, SchemeRules] = {
    r.scheme: r
    for r in (
        SchemeRules(Scheme.VISA, "Visa", _lengths(13, 16, 19)),
        SchemeRules(Scheme.MASTERCARD, "Mastercard", _lengths(16)),
        SchemeRules(Scheme.AMEX, "American Express", _lengths(15), cvc_length=4),
        SchemeRules(Scheme.UNIONPAY, "UnionPay", _lengths(range(16, 20)), luhn_required=False),
        SchemeRules(Scheme.JCB, "JCB", _lengths(range(16, 20))),
        SchemeRules(Scheme.MIR, "Mir", _lengths(range(16, 20))),
        SchemeRules(Scheme.MAESTRO, "Maestro", _lengths(range(12, 20))),
        SchemeRules(Scheme.DISCOVER, "Discover", _lengths(range(16, 20))),
        SchemeRules(Scheme.DINERS, "Diners Club", _lengths(range(14, 20))),
        SchemeRules(Scheme.ELO, "Elo", _lengths(16)),
        SchemeRules(Scheme.HIPERCARD, "Hipercard", _lengths(16, 19)),
        SchemeRules(Scheme.RUPAY, "RuPay", _lengths(16)),
        SchemeRules(Scheme.TROY, "Troy", _lengths(16)),
    )
}

# (first prefix, last prefix, scheme): a number belongs to the range if its leading digits,
# as many as the prefix has, fall between the two inclusive.
_RANGES: list[tuple[str, str, Scheme]] = [
    # Elo (Brazil): specific BINs inside Visa's 4, Maestro's 50 and Discover's 65.
    *(
        (lo, hi, Scheme.ELO)
        for lo, hi in (
            ("401178", "401179"),
            ("431274", "431274"),
            ("438935", "438935"),
            ("451416", "451416"),
            ("457393", "457393"),
            ("457631", "457632"),
            ("504175", "504175"),
            ("506699", "506778"),
            ("509000", "509999"),
            ("627780", "627780"),
            ("636297", "636297"),
            ("636368", "636368"),
            ("650031", "650033"),
            ("650035", "650051"),
            ("650405", "650439"),
            ("650485", "650538"),
            ("650541", "650598"),
            ("650700", "650718"),
            ("650720", "650727"),
            ("650901", "650978"),
            ("651652", "651679"),
            ("655000", "655019"),
            ("655021", "655058"),
        )
    ),
    # Hipercard (Brazil)
    ("606282", "606282", Scheme.HIPERCARD),
    ("637095", "637095", Scheme.HIPERCARD),
    ("637568", "637568", Scheme.HIPERCARD),
    ("637599", "637599", Scheme.HIPERCARD),
    ("637609", "637609", Scheme.HIPERCARD),
    ("637612", "637612", Scheme.HIPERCARD),
    ("3841", "3841", Scheme.HIPERCARD),
    # RuPay (India)
    ("508500", "508999", Scheme.RUPAY),
    ("606985", "607984", Scheme.RUPAY),
    ("608001", "608500", Scheme.RUPAY),
    ("652150", "653149", Scheme.RUPAY),
    ("817200", "820199", Scheme.RUPAY),
    # UnionPay's 81 range (8100-8171), and Discover's co-badged part of 62 stays UnionPay.
    ("810000", "817199", Scheme.UNIONPAY),
    # Troy (Turkey)
    ("9792", "9792", Scheme.TROY),
    # Mir (Russia)
    ("2200", "2204", Scheme.MIR),
    # Mastercard's 2-series
    ("2221", "2720", Scheme.MASTERCARD),
    # JCB
    ("3528", "3589", Scheme.JCB),
    # Discover
    ("6011", "6011", Scheme.DISCOVER),
    # Diners Club
    ("3095", "3095", Scheme.DINERS),
    ("300", "305", Scheme.DINERS),
    ("644", "649", Scheme.DISCOVER),
    ("639", "639", Scheme.MAESTRO),
    # Two-digit ranges
    ("34", "34", Scheme.AMEX),
    ("37", "37", Scheme.AMEX),
    ("36", "36", Scheme.DINERS),
    ("38", "39", Scheme.DINERS),
    ("51", "55", Scheme.MASTERCARD),
    ("50", "50", Scheme.MAESTRO),
    ("56", "58", Scheme.MAESTRO),
    ("67", "67", Scheme.MAESTRO),
    ("62", "62", Scheme.UNIONPAY),
    ("65", "65", Scheme.DISCOVER),
    ("4", "4", Scheme.VISA),
]
_RANGES.sort(key=lambda r: -len(r[0]))  # most specific first (stable within a length)


def iin_ranges() -> list[tuple[str, str, Scheme]]:
    """The IIN table (low prefix, high prefix, scheme), most specific first: a copy."""
    return list(_RANGES)


class CardError(enum.Enum):
    """Why an input was refused; the pages map each to a sentence."""

    NUMBER_REQUIRED = "number_required"
    NUMBER_NOT_DIGITS = "number_not_digits"
    NUMBER_UNKNOWN_SCHEME = "number_unknown_scheme"
    NUMBER_LENGTH = "number_length"
    NUMBER_CHECKSUM = "number_checksum"
    EXPIRY_FORMAT = "expiry_format"
    EXPIRY_PAST = "expiry_past"
    EXPIRY_TOO_FAR = "expiry_too_far"
    NAME_REQUIRED = "name_required"
    NAME_LENGTH = "name_length"
    NAME_CHARACTERS = "name_characters"
    CVC_FORMAT = "cvc_format"
    LABEL_LENGTH = "label_length"
    LABEL_DIGITS = "label_digits"


class InvalidCard(ValueError):
    def __init__(self, error: CardError) -> None:
        super().__init__(error.value)
        self.error = error


_SEPARATORS = re.compile(r"[ \-\u00a0]")


def normalize_number(raw: str) -> str:
    """Digits only: spaces, dashes and no-break spaces a buyer types or pastes go away."""
    return _SEPARATORS.sub("", raw.strip())


def detect_scheme(digits: str) -> Scheme | None:
    """The scheme a (possibly partial) number belongs to, from its leading digits."""
    for lo, hi, scheme in _RANGES:
        n = len(lo)
        if len(digits) < n:
            continue
        head = digits[:n]
        if lo <= head <= hi:  # same length, digits only: string order is numeric order
            return scheme
    return None


@dataclass(frozen=True)
class CardNumber:
    digits: str
    scheme: Scheme

    @property
    def first4(self) -> str:
        return self.digits[:4]

    @property
    def last4(self) -> str:
        return self.digits[-4:]

    def __repr__(self) -> str:  # a card number never reaches a log through repr()
        return f"CardNumber({mask(self.first4, self.last4)}, {self.scheme.value})"

    __str__ = __repr__


def parse_number(raw: str) -> CardNumber:
    digits = normalize_number(raw)
    if not digits:
        raise InvalidCard(CardError.NUMBER_REQUIRED)
    if not digits.isascii() or not digits.isdigit():
        raise InvalidCard(CardError.NUMBER_NOT_DIGITS)
    scheme = detect_scheme(digits)
    if scheme is None:
        raise InvalidCard(CardError.NUMBER_UNKNOWN_SCHEME)
    rules = RULES[scheme]
    if len(digits) not in rules.lengths:
        raise InvalidCard(CardError.NUMBER_LENGTH)
    if rules.luhn_required and not luhn.is_valid(digits):
        raise InvalidCard(CardError.NUMBER_CHECKSUM)
    return CardNumber(digits, scheme)


EXPIRES_SOON_MONTHS = 1  # this month (0) or the next (1)


@dataclass(frozen=True)
class Expiry:
    month: int
    year: int  # four digits

    def last_day(self) -> dt.date:
        nxt = dt.date(self.year + (self.month == 12), self.month % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)

    def expired(self, today: dt.date) -> bool:
        """A card is valid through the last day of its month."""
        return self.last_day() < today

    def expires_soon(self, today: dt.date) -> bool:
        """Still valid, and expires this calendar month or the next.

        A buyer reads "expires soon" in months, as the card prints its date: on 1 December a
        card marked 12/26 or 01/27 expires soon, one marked 02/27 does not. Counting days
        instead ("within 30 days") made a card expiring this month look safe on the 1st of
        a 31-day month.
        """
        if self.expired(today):
            return False
        months_ahead = (self.year - today.year) * 12 + (self.month - today.month)
        return months_ahead <= EXPIRES_SOON_MONTHS

    def __str__(self) -> str:
        return f"{self.month:02d}/{self.year % 100:02d}"


_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")


def parse_expiry(raw: str, today: dt.date) -> Expiry:
    """MM/YY (or MM/YYYY). A card is valid through the last day of its month."""
    match = _EXPIRY.match(raw or "")
    if not match:
        raise InvalidCard(CardError.EXPIRY_FORMAT)
    month, year = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise InvalidCard(CardError.EXPIRY_FORMAT)
    if year < 100:
        year += 2000
    return check_expiry(month, year, today)


def check_expiry(month: int, year: int, today: dt.date) -> Expiry:
    if not 1 <= month <= 12:
        raise InvalidCard(CardError.EXPIRY_FORMAT)
    if (year, month) < (today.year, today.month):
        raise InvalidCard(CardError.EXPIRY_PAST)
    if (year, month) > (today.year + MAX_YEARS_AHEAD, today.month):
        raise InvalidCard(CardError.EXPIRY_TOO_FAR)
    return Expiry(month, year)


def parse_holder_name(raw: str) -> str:
    """Letters (any script), spaces, hyphens, apostrophes and dots; 2-26 characters.

    Digits are refused outright, so a card number can never be saved as a name.
    """
    name = " ".join(unicodedata.normalize("NFC", raw or "").split())
    if not name:
        raise InvalidCard(CardError.NAME_REQUIRED)
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise InvalidCard(CardError.NAME_LENGTH)
    for ch in name:
        if ch.isalpha() or ch in " -'.\u2019":
            continue
        raise InvalidCard(CardError.NAME_CHARACTERS)
    if not any(ch.isalpha() for ch in name):
        raise InvalidCard(CardError.NAME_CHARACTERS)
    return name


def check_cvc(raw: str, scheme: Scheme | None) -> str:
    """The CVC's length follows the scheme; without a known scheme (the number itself was
    bad) any common length, 3 or 4 digits, passes so the buyer sees one error, not two."""
    cvc = (raw or "").strip()
    lengths = (3, 4) if scheme is None else (RULES[scheme].cvc_length,)
    if not (cvc.isascii() and cvc.isdigit() and len(cvc) in lengths):
        raise InvalidCard(CardError.CVC_FORMAT)
    return cvc


LABEL_MAX_DIGITS = 4


def parse_label(raw: str) -> str:
    """The buyer's own name for a card ("Salary card"): at most LABEL_MAX characters once
    whitespace is collapsed, and at most LABEL_MAX_DIGITS digits in all, wherever they
    stand ("Card 2", "Trip 2026" pass; "4242.4242.4242.4242" and "1a2b3c4d5e" do not).
    Every digit counts, any Unicode digit included, so no separator smuggles a card
    number into a label that is stored, e-mailed and shown in clear."""
    label = " ".join((raw or "").split())
    if len(label) > LABEL_MAX:
        raise InvalidCard(CardError.LABEL_LENGTH)
    if sum(ch.isdigit() for ch in label) > LABEL_MAX_DIGITS:
        raise InvalidCard(CardError.LABEL_DIGITS)
    return label


MASK_MIDDLE = "\u2022\u2022\u2022\u2022 \u2022\u2022\u2022\u2022"


def mask(first4: str, last4: str) -> str:
    """`4242 •••• •••• 4242`: the only way zhifu shows a saved card number."""
    return f"{first4} {MASK_MIDDLE} {last4}"


def group_for_display(digits: str, scheme: Scheme | None) -> str:
    """Group digits as printed on the card: 4-6-5 for Amex and 14-digit Diners, else 4s."""
    if scheme is Scheme.AMEX or (scheme is Scheme.DINERS and len(digits) <= 14):
        parts = [digits[:4], digits[4:10], digits[10:]]
    else:
        parts = [digits[i : i + 4] for i in range(0, len(digits), 4)]
    return " ".join(p for p in parts if p)


# --- card-testing velocity (docs/security.md SEC-36) -------------------------------------


class AttemptKey(enum.Enum):
    """What a card check is counted against: each is limited on its own."""

    ACCOUNT = "account"  # the wallet account asking
    CARD = "card"  # the card's keyed fingerprint, across every account
    IP = "ip"  # the client's address (behind trusted proxies only)


CARD_ATTEMPT_WINDOW = dt.timedelta(hours=1)  # a sliding window: each attempt counts this long
# Checks the network is asked for within the window. A buyer adds a few cards, a typo is
# caught before the network (Luhn, expiry); a card tester needs hundreds. The address allows
# for a household or an office behind one address.
CARD_ATTEMPT_LIMITS: dict[AttemptKey, int] = {
    AttemptKey.ACCOUNT: 6,
    AttemptKey.CARD: 5,
    AttemptKey.IP: 20,
}
DECLINE_BURST = 3  # declines of one account, card or address in the window: alert operators

# Decline codes whose reason helps a card tester, and what they read as after the first
# decline in the window. Each specific reason says which field to vary next or that the
# rest is right: INSUFFICIENT_FUNDS means number, expiry and CVC are all good (a live card,
# the tester's prize); EXPIRED_CARD and INCORRECT_CVC say which of expiry and CVC to guess
# next; INVALID_NUMBER tells real numbers from made-up ones (BIN enumeration); STOLEN_CARD
# tells the thief the card is burnt. DO_NOT_HONOUR and OTHER already say nothing more than
# "declined", so they are the generic answer (DO_NOT_HONOUR is ISO 8583's generic "05").
FRAUD_RELEVANT_DECLINES = frozenset(
    {
        DeclineCode.INSUFFICIENT_FUNDS,
        DeclineCode.EXPIRED_CARD,
        DeclineCode.INCORRECT_CVC,
        DeclineCode.INVALID_NUMBER,
        DeclineCode.STOLEN_CARD,
    }
)
GENERIC_DECLINE = DeclineCode.DO_NOT_HONOUR


def visible_decline(code: DeclineCode, earlier_declines: int) -> DeclineCode:
    """The decline a buyer is told: the bank's reason for the first decline in the window
    (a real buyer learns what to fix), the generic one for every later fraud-relevant one
    (a card tester learns nothing more)."""
    if earlier_declines and code in FRAUD_RELEVANT_DECLINES:
        return GENERIC_DECLINE
    return code


def attempts_retry_after(
    attempts: dict[AttemptKey, list[dt.datetime]], now: dt.datetime
) -> dt.timedelta | None:
    """None if one more check is allowed, else how long until every full key has a slot.

    ``attempts`` holds, per key, the times of the checks counted against it (any order);
    only those within CARD_ATTEMPT_WINDOW before ``now`` count.
    """
    since = now - CARD_ATTEMPT_WINDOW
    wait: dt.timedelta | None = None
    for key, times in attempts.items():
        recent = sorted(t for t in times if t > since)
        limit = CARD_ATTEMPT_LIMITS[key]
        if len(recent) < limit:
            continue
        # A slot frees when the oldest attempt above the limit's worth leaves the window.
        frees = recent[len(recent) - limit] + CARD_ATTEMPT_WINDOW - now
        wait = frees if wait is None else max(wait, frees)
    return wait


def retry_minutes(wait: dt.timedelta) -> int:
    """Whole minutes to tell the buyer, rounded up: never "try again in 0 minutes"."""
    return max(1, -(-int(wait.total_seconds()) // 60))


def is_burst(declines_in_window: int) -> bool:
    return declines_in_window >= DECLINE_BURST
