"""Cassettes: cardnet's wire format recorded as JSON (tests/fixtures/cardnet/*.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zhifu.connectors.base import CardDetails
from zhifu.connectors.cardnet import CardnetConnector
from zhifu.kernel import http, signing

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cardnet"
BASE = "http://cardnet.test"
API_KEY = "api-k3y"  # pragma: allowlist secret
CHALLENGE_KEY = "challenge-k3y"
CARD = CardDetails("4242424242424242", 12, 2030, "739", "ANNA IVANOVA")


def cassette(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def cassettes(prefix: str) -> list[str]:
    return sorted(p.stem for p in FIXTURES.glob(f"{prefix}*.json"))


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> http.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return http.Response(status, headers or {"Content-Type": "application/json"}, content)


def replaying(name: str) -> http.MockTransport:
    """A transport that answers the cassette's response to any request."""
    recorded = cassette(name)["response"]
    return http.MockTransport(lambda request: answer(recorded["status"], recorded["body"]))


def challenge_signer(*fallbacks: str) -> signing.Signer:
    return signing.Signer(CHALLENGE_KEY, fallbacks, salt="zhifu.cardnet.challenge-result")


def connector(transport: http.Transport, signer: signing.Signer | None = None) -> CardnetConnector:
    return CardnetConnector(transport, BASE, API_KEY, signer or challenge_signer())
