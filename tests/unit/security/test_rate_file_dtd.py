"""Hardening finding: a rate file may not declare a DTD in any encoding, nor expand entities."""

from __future__ import annotations

import pytest

from zhifu.fx import domain

BOMB = (
    '<?xml version="1.0" encoding="{enc}"?>'
    '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    "<x>&b;</x>"
)
EXTERNAL = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
EXTERNAL_DTD = '<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.invalid/x.dtd"><x/>'


@pytest.mark.parametrize(
    "data",
    [
        BOMB.format(enc="UTF-8").encode("utf-8"),
        BOMB.format(enc="UTF-16").encode("utf-16"),
        BOMB.format(enc="UTF-16LE").encode("utf-16-le"),
        BOMB.format(enc="UTF-16BE").encode("utf-16-be"),
        EXTERNAL.encode(),
        EXTERNAL.encode("utf-16"),
        EXTERNAL_DTD.encode(),
        EXTERNAL_DTD.encode("utf-16"),
    ],
    ids=["utf8", "utf16", "utf16le", "utf16be", "ext", "ext-utf16", "dtd", "dtd-utf16"],
)
def test_rate_file_dtd_is_refused_in_any_encoding(data: bytes) -> None:
    with pytest.raises(domain.RateFileError, match="DTD"):
        domain.parse_ecb_xml(data)


def test_rate_file_dtd_guard_leaves_utf16_files_without_dtd_readable() -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"'
        ' xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">'
        '<Cube><Cube time="2026-11-25"><Cube currency="USD" rate="1.05"/></Cube></Cube>'
        "</gesmes:Envelope>"
    )
    rates = domain.parse_ecb_xml(xml.encode("utf-16"))
    assert [(r.quote, str(r.rate)) for r in rates] == [("USD", "1.05")]
