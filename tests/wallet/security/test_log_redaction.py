"""docs/security.md SEC-30: tokens that travel in URLs never reach the logs.

The e2e leak scan (tests/harness/leaks.py) found the e-mail confirmation token and the OIDC
code in gunicorn's access log (request line and referrer). The logging pipeline now blanks
them; this pins the rule down on the lines gunicorn writes.
"""

from __future__ import annotations

import logging
import logging.config

import pytest

from zhifu.config.logging import REDACTED, logging_dict, redact_url_secrets

TOKEN = "hhv_Ljr7lXJtx9hpC7CapATn2gSvxlzBpvU2qnhsTIo"
CODE = "rx7RwjzVU18ii5hBkEzuYpMRbgaRCg"


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        (f'"GET /confirm-email/{TOKEN}/ HTTP/1.1" 200 7637 "-"', TOKEN),
        (f'"POST /x/ HTTP/1.1" 302 0 "http://localhost:8000/confirm-email/{TOKEN}/"', TOKEN),
        (f'"GET /oidc/callback/?code={CODE}&state=st4te-{CODE}&iss=http HTTP/1.1"', CODE),
        (f'"GET /o/authorize/?client_id=w&state={CODE}&nonce={CODE} HTTP/1.1"', CODE),
        (f'"GET /password-reset/MQ/{TOKEN}/ HTTP/1.1" 302 0', TOKEN),
        (f'"POST /signup/confirm/{TOKEN}/ HTTP/1.1" 302 0', TOKEN),
        (f'"GET /connect/{TOKEN}/ HTTP/1.1" 200 0', TOKEN),
        (f'"GET /recovery/link/{TOKEN}/ HTTP/1.1" 302 0', TOKEN),
        (f'"GET /recovery/freeze/{TOKEN}/ HTTP/1.1" 302 0', TOKEN),
        (f'"GET /recovery/confirm/{TOKEN}/ HTTP/1.1" 302 0', TOKEN),
        (f'"POST /account/email/{TOKEN}/ HTTP/1.1" 302 0', TOKEN),
        (f'"GET /challenge/eyJpZCI6ImNhcmRfMDEi{TOKEN}:1t9:{CODE}/ HTTP/1.1"', CODE),
    ],
)
def test_url_tokens_are_blanked(line: str, secret: str) -> None:
    redacted = redact_url_secrets(line)
    assert secret not in redacted
    assert REDACTED in redacted


def test_the_rest_of_the_line_stays_readable() -> None:
    line = '"GET /confirm-email/ HTTP/1.1" 200 2982 "http://localhost:8000/password-reset/sent/"'
    assert redact_url_secrets(line) == line
    assert redact_url_secrets("/cards/card_01M8AY6XE5/delete/") == "/cards/card_01M8AY6XE5/delete/"


def test_the_access_log_goes_through_the_redaction(capsys: pytest.CaptureFixture[str]) -> None:
    config = logging_dict("INFO", "console")
    config["loggers"]["gunicorn.access"] = {"handlers": ["console"], "propagate": False}
    logging.config.dictConfig(config)
    logging.getLogger("gunicorn.access").info(f'"GET /confirm-email/{TOKEN}/ HTTP/1.1" 200')
    err = capsys.readouterr().err
    assert "/confirm-email/[redacted]/" in err
    assert TOKEN not in err
