"""structlog configuration: one pipeline for our events and for stdlib/Django logs.

Every event passes the card-number masking processor last-but-one, so a card number that
slips into a message, an argument or an exception text never reaches the output. The same
processor blanks the secrets that travel in URLs (access-log request lines and referrers):
e-mail confirmation, sign-up and password-reset tokens, the issuer-challenge token, and the OIDC
code, state and nonce (docs/security.md SEC-30).
"""

from __future__ import annotations

import logging.config
import re
from typing import Any

import structlog
from structlog.typing import EventDict, WrappedLogger

from zhifu.kernel.masking import mask_card_numbers

REDACTED = "[redacted]"
_URL_SECRETS = (
    # /confirm-email/<token>/, /connect/<token>/, recovery's links, the shop's
    # /signup/confirm/<token>/, /password-reset/<uidb64>/<token>/, cardnet's /challenge/<token>/
    (re.compile(r"(/confirm-email/)[\w-]+"), rf"\g<1>{REDACTED}"),
    (re.compile(r"(/signup/confirm/)[\w-]+"), rf"\g<1>{REDACTED}"),
    (re.compile(r"(/connect/)[\w-]+"), rf"\g<1>{REDACTED}"),
    # recovery's /recovery/link|freeze|confirm/<token>/ and /account/email/<token>/
    (re.compile(r"(/recovery/(?:link|freeze|confirm)/)[\w-]{20,}"), rf"\g<1>{REDACTED}"),
    (re.compile(r"(/account/email/)[\w-]{20,}"), rf"\g<1>{REDACTED}"),
    (re.compile(r"(/password-reset/[\w-]+/)(?!set-password\b)[\w:-]+"), rf"\g<1>{REDACTED}"),
    (re.compile(r"(/challenge/)[\w:.-]{40,}"), rf"\g<1>{REDACTED}"),
    # ?code=…&state=…: OIDC and OAuth parameters, and the signed challenge result.
    (
        re.compile(
            r"([?&](?:code|state|nonce|code_verifier|token|access_token|id_token|result)=)"
            r"[^&\s\"']+"
        ),
        rf"\g<1>{REDACTED}",
    ),
)


def redact_url_secrets(text: str) -> str:
    """Blank the tokens that links and redirects carry; the rest of the URL stays."""
    if "/" not in text and "=" not in text:
        return text
    for pattern, replacement in _URL_SECRETS:
        text = pattern.sub(replacement, text)
    return text


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return redact_url_secrets(mask_card_numbers(value))
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mask(v) for v in value)
    return value


def mask_card_numbers_processor(
    _logger: WrappedLogger, _method: str, event_dict: EventDict
) -> EventDict:
    """structlog processor: mask Luhn-valid card numbers and blank URL tokens in every value
    of the event."""
    return {k: _mask(v) for k, v in event_dict.items()}


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        mask_card_numbers_processor,
    ]


def logging_dict(level: str, fmt: str) -> dict[str, Any]:
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structlog": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    mask_card_numbers_processor,
                    renderer,
                ],
                "foreign_pre_chain": _shared_processors(),
            }
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "structlog"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.request": {"level": "ERROR"},
            "django.db.backends": {"level": "WARNING"},
        },
    }


def apply(config: dict[str, Any]) -> None:
    """Django's LOGGING_CONFIG callable: stdlib dictConfig plus structlog's own pipeline."""
    logging.config.dictConfig(config)
    structlog.configure(
        processors=[
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
