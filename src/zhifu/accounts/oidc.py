"""A small OpenID Connect relying party, one per Platform (authorization code + PKCE S256).

Why not mozilla-django-oidc: its settings describe one provider per site, while the wallet
serves several platforms, each with its own issuer, client and keys. This module does the
few things a relying party must, each checked:

- ``state`` (256 bits) ties the callback to the browser session that started the login;
  unknown, missing or replayed state is refused, and each state is used once.
- ``nonce`` ties the id_token to that login; PKCE (S256) ties the code to it.
- the id_token must be RS256, signed by a key from the issuer's JWKS, with the right
  ``iss``, ``aud`` (our client id), unexpired ``exp``; ``alg=none``, HS256 and any other
  algorithm are refused before the signature is even looked at.
- the callback's ``iss`` (RFC 9207, the mix-up defence among several providers) must be
  the platform's issuer; when discovery advertises
  ``authorization_response_iss_parameter_supported`` it must also be present.
- the client authenticates with ``client_secret_basic`` (id and secret form-urlencoded
  first, RFC 6749 §2.3.1) or ``client_secret_post``, as the platform is registered.
- outside the demo the issuer and every endpoint discovery names must be https.
- HTTP to the provider goes through the kernel.http transport (timeouts, no redirects,
  private addresses refused unless allowed), chosen from settings or passed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode, urlsplit

import jwt

from zhifu.config import outbound
from zhifu.config.site import config
from zhifu.kernel import http

DISCOVERY_TTL_S = 300
PENDING_TTL_S = 600  # a login must come back within 10 minutes
MAX_PENDING = 5
LEEWAY_S = 60
ALLOWED_ALGORITHMS = ["RS256"]
SESSION_KEY = "zhifu_oidc_pending"
AUTH_METHODS = ("client_secret_basic", "client_secret_post")
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint")


class LoginError(Exception):
    """The sign-in cannot be completed. ``code`` says why (for logs and tests)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class _Unexpected(ValueError):
    """The provider answered, but not with what the protocol says (a status, a shape)."""


def _transport(transport: http.Transport | None) -> http.Transport:
    # Chosen from settings in one place; tests configure a MockTransport there.
    return transport or outbound.http_transport(*outbound.OIDC_TIMEOUTS)


def _get_json(
    transport: http.Transport, url: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """GET a JSON object. Raises http.TransportError, or ValueError for a bad answer."""
    resp = transport.handle(
        http.Request("GET", url, {"Accept": "application/json", **(headers or {})})
    )
    if resp.status_code != 200:
        raise _Unexpected(f"HTTP {resp.status_code}")
    data = resp.json()
    if not isinstance(data, dict):
        raise LoginError("bad_response")
    return data


def basic_credentials(client_id: str, client_secret: str) -> str:
    """The HTTP Basic value of RFC 6749 §2.3.1: id and secret each form-urlencoded first,
    so a secret with ``+ / = %`` or ``:`` reaches the provider unchanged."""
    pair = f"{quote_plus(client_id, safe='')}:{quote_plus(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode("ascii")).decode()


def _post_form(
    transport: http.Transport,
    url: str,
    data: dict[str, str],
    auth: tuple[str, str],
    method: str = "client_secret_basic",
) -> dict[str, Any]:
    """POST a form authenticating the client by ``method``; the JSON object answered."""
    headers = {"Accept": "application/json"}
    if method == "client_secret_post":
        data = {**data, "client_id": auth[0], "client_secret": auth[1]}
    else:
        headers["Authorization"] = basic_credentials(*auth)
    resp = transport.handle(http.Request.form(url, data, headers))
    body = resp.json() if resp.is_json else {}
    if resp.status_code != 200 or not isinstance(body, dict):
        raise LoginError("token_refused")
    return body


_discovery_cache: dict[str, tuple[float, dict[str, Any]]] = {}


@dataclass(frozen=True)
class Client:
    """What the relying party knows about one platform."""

    platform_id: int
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    auth_method: str = "client_secret_basic"

    @property
    def redirect_uri(self) -> str:
        return config().urls["wallet"] + "/oidc/callback/"


def client_secret(slug: str) -> str:
    """A platform's client secret, read now from the platform namespace (never one of the
    wallet's own secrets: zhifu.config.secrets.platform_secret)."""
    from zhifu.config.secrets import PlatformSecretMissing

    try:
        return config().platform_secret(slug).reveal()
    except (PlatformSecretMissing, ValueError):
        raise LoginError("no_client_secret") from None


def check_https(url: str, *, demo: bool | None = None) -> None:
    """Outside the demo the provider is reached over https only (LoginError insecure_issuer)."""
    if demo is None:
        demo = config().demo
    parts = urlsplit(url)
    if not parts.hostname or parts.scheme not in ({"https", "http"} if demo else {"https"}):
        raise LoginError("insecure_issuer")


def discover(issuer: str, *, transport: http.Transport | None = None) -> dict[str, Any]:
    check_https(issuer)
    cached = _discovery_cache.get(issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_TTL_S:
        return cached[1]
    try:
        doc = _get_json(
            _transport(transport), issuer.rstrip("/") + "/.well-known/openid-configuration"
        )
    except (http.TransportError, ValueError) as exc:
        raise LoginError("provider_unreachable") from exc
    if str(doc.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        raise LoginError("issuer_mismatch")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(doc.get(key), str):
            raise LoginError("bad_discovery")
    for key in ENDPOINTS:
        if key in doc:
            if not isinstance(doc[key], str):
                raise LoginError("bad_discovery")
            check_https(doc[key])
    _discovery_cache[issuer] = (time.monotonic(), doc)
    return doc


def end_session_url(
    issuer: str, client_id: str, state: str, *, transport: http.Transport | None = None
) -> str | None:
    """The provider's RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), coming
    back to the wallet's home with ``state``; None when the provider has no
    ``end_session_endpoint`` or cannot be reached (the wallet then offers nothing)."""
    try:
        doc = discover(issuer, transport=transport)
        endpoint = doc.get("end_session_endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            return None
        check_https(endpoint)
    except LoginError:
        return None
    params = {
        "client_id": client_id,
        "post_logout_redirect_uri": config().urls["wallet"] + "/",
        "state": state,
    }
    return f"{endpoint}?{urlencode(params)}"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def begin(
    session: Any, client: Client, next_path: str | None, *, transport: http.Transport | None = None
) -> str:
    """Remember a new login attempt in the session; return the provider URL to go to."""
    doc = discover(client.issuer, transport=transport)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    challenge = _b64url(hashlib.sha256(verifier.encode()).digest())
    pending = {
        k: v
        for k, v in dict(session.get(SESSION_KEY, {})).items()
        if time.time() - v["created"] < PENDING_TTL_S
    }
    pending[state] = {
        "platform": client.platform_id,
        "nonce": nonce,
        "verifier": verifier,
        "next": next_path,
        "created": time.time(),
    }
    # Keep only the newest few (several tabs may start a login at once).
    newest = sorted(pending.items(), key=lambda kv: kv[1]["created"])[-MAX_PENDING:]
    session[SESSION_KEY] = dict(newest)
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "scope": client.scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{doc['authorization_endpoint']}?{urlencode(params)}"


def take_pending(session: Any, state: str | None) -> dict[str, Any]:
    """The login attempt this state belongs to, removed from the session (single use)."""
    pending = dict(session.get(SESSION_KEY, {}))
    if not state:
        raise LoginError("missing_state")
    match = next((k for k in pending if hmac.compare_digest(k, state)), None)
    if match is None:
        raise LoginError("unknown_state")
    attempt = pending.pop(match)
    session[SESSION_KEY] = pending
    if time.time() - attempt["created"] >= PENDING_TTL_S:
        raise LoginError("expired_state")
    return dict(attempt)


def _signing_key(transport: http.Transport, jwks_uri: str, kid: str | None) -> Any:
    try:
        jwks = jwt.PyJWKSet.from_dict(_get_json(transport, jwks_uri))
    except (http.TransportError, ValueError, jwt.PyJWTError) as exc:
        raise LoginError("bad_jwks") from exc
    keys = [k for k in jwks.keys if k.key_type == "RSA" and (kid is None or k.key_id == kid)]
    if not keys:
        raise LoginError("unknown_key")
    return keys[0].key


def verify_id_token(
    token: str,
    client: Client,
    issuer: str,
    jwks_uri: str,
    nonce: str,
    *,
    transport: http.Transport | None = None,
) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise LoginError("malformed_id_token") from exc
    if header.get("alg") not in ALLOWED_ALGORITHMS:
        raise LoginError("bad_algorithm")
    key = _signing_key(_transport(transport), jwks_uri, header.get("kid"))
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=ALLOWED_ALGORITHMS,
            audience=client.client_id,
            issuer=issuer,
            leeway=LEEWAY_S,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise LoginError("expired_id_token") from exc
    except jwt.InvalidAudienceError as exc:
        raise LoginError("wrong_audience") from exc
    except jwt.InvalidIssuerError as exc:
        raise LoginError("wrong_issuer") from exc
    except jwt.PyJWTError as exc:
        raise LoginError("invalid_id_token") from exc
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise LoginError("wrong_nonce")
    azp = claims.get("azp")
    if azp is not None and azp != client.client_id:
        raise LoginError("wrong_audience")
    return claims


def check_response_issuer(doc: dict[str, Any], iss: str | None) -> None:
    """RFC 9207 §2.4: the authorization response's ``iss`` must be this provider's issuer;
    it may be absent only when the provider does not say it sends one."""
    if iss is None:
        if doc.get("authorization_response_iss_parameter_supported") is True:
            raise LoginError("missing_iss")
        return
    if not hmac.compare_digest(iss.encode(), str(doc["issuer"]).encode()):
        raise LoginError("wrong_iss")


def finish(
    client: Client,
    attempt: dict[str, Any],
    code: str | None,
    *,
    iss: str | None = None,
    transport: http.Transport | None = None,
) -> dict[str, Any]:
    """Check the response's issuer, exchange the code and return the verified claims
    (id_token, then userinfo)."""
    transport = _transport(transport)
    doc = discover(client.issuer, transport=transport)
    check_response_issuer(doc, iss)  # before the code goes anywhere (RFC 9207 §2.4)
    if not code:
        raise LoginError("missing_code")
    try:
        tokens = _post_form(
            transport,
            doc["token_endpoint"],
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": client.redirect_uri,
                "code_verifier": attempt["verifier"],
            },
            auth=(client.client_id, client.client_secret),
            method=client.auth_method,
        )
    except (http.TransportError, ValueError) as exc:
        raise LoginError("provider_unreachable") from exc
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise LoginError("no_id_token")
    claims = verify_id_token(
        id_token, client, doc["issuer"], doc["jwks_uri"], attempt["nonce"], transport=transport
    )
    userinfo_url = doc.get("userinfo_endpoint")
    access_token = tokens.get("access_token")
    if (not claims.get("email")) and isinstance(userinfo_url, str) and access_token:
        try:
            info = _get_json(
                transport, userinfo_url, headers={"Authorization": f"Bearer {access_token}"}
            )
        except (http.TransportError, ValueError):
            info = {}
        if info.get("sub") == claims["sub"]:  # OIDC Core 5.3.2: must match, else ignore
            claims = {**info, **claims}
    return claims
