from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import re
from email.message import EmailMessage
from pathlib import Path

from django.db import DatabaseError, connections
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from zhifu.config.site import config

_MAIL_NAME = re.compile(r"^[0-9T]{15}-[0-9A-Z]{26}\.eml$")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 {"status": "ok"} once every database of this site answers a query."""
    try:
        for alias in connections:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def _message_path(name: str) -> Path:
    """The demo mailbox's file of that name; 404 for any other name or path."""
    path = config().mail_dir / name
    if not _MAIL_NAME.match(name) or not path.is_file():
        raise Http404
    return path


def _read(path: Path) -> EmailMessage:
    with path.open("rb") as fh:
        msg = email.message_from_binary_file(fh, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _language(msg: EmailMessage) -> str:
    """The message's Content-Language if it is a plain language tag, else "" (the page's)."""
    value = str(msg["Content-Language"] or "").strip()
    return value if _LANGUAGE_TAG.match(value) else ""


def _sent_at(msg: EmailMessage) -> dt.datetime | None:
    """The Date header as an aware datetime (shown in the reader's zone), None if unreadable;
    "-0000" (no zone given) is read as UTC."""
    try:
        sent = email.utils.parsedate_to_datetime(str(msg["Date"] or ""))
    except (TypeError, ValueError):
        return None
    return sent if sent.tzinfo else sent.replace(tzinfo=dt.UTC)


def _body(msg: EmailMessage, kind: str = "plain") -> str:
    part = msg.get_body(preferencelist=(kind,))
    return str(part.get_content()) if part is not None else ""


# The HTML part of a demo e-mail is shown in a sandboxed frame of its own: no scripts, no
# forms, no requests at all (inline styles and data: images only, as a mail reader shows
# it), and its links open in the mailbox's window, as a mail reader would open them.
_MAIL_HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; "
    "base-uri 'none'; frame-ancestors 'self'; sandbox allow-top-navigation-by-user-activation"
)
_HEAD = re.compile(r"<head[^>]*>", re.IGNORECASE)


@never_cache
@require_GET
def dev_mailbox(request: HttpRequest) -> HttpResponse:
    """Demo only: the messages the site has "sent", newest first."""
    directory = config().mail_dir
    files = sorted(directory.glob("*.eml"), reverse=True) if directory.exists() else []
    mails = []  # not "messages": base.html shows that name as flash messages
    for path in files[:200]:
        msg = _read(path)
        mails.append(
            {
                "name": path.name,
                "to": msg["To"],
                "subject": msg["Subject"],
                "date": _sent_at(msg),
                "lang": _language(msg),
            }
        )
    return render(request, "web/dev_mailbox.html", {"mails": mails})


@never_cache
@require_GET
def dev_mail_message(request: HttpRequest, name: str) -> HttpResponse:
    msg = _read(_message_path(name))
    return render(
        request,
        "web/dev_mail_message.html",
        {
            "msg": msg,
            "subject": msg["Subject"],
            "body": _body(msg),
            "has_html": bool(_body(msg, "html")),
            "name": name,
            "lang": _language(msg),
            "sent_at": _sent_at(msg),
        },
    )


@never_cache
@require_GET
@xframe_options_sameorigin
def dev_mail_html(request: HttpRequest, name: str) -> HttpResponse:
    """Demo only: the HTML part of a message, for the sandboxed frame of its page."""
    html = _body(_read(_message_path(name)), "html")
    if not html:
        raise Http404
    html = _HEAD.sub(lambda m: m.group(0) + '<base target="_top">', html, count=1)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = _MAIL_HTML_CSP
    return response
