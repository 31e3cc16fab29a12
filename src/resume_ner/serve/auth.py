"""The API key: the ``X-API-Key`` header every ``/v1`` request must carry when a key is set, and
the rule that a server reachable beyond this machine must have one.

Keys are compared in constant time. A key shorter than :data:`MIN_API_KEY_LENGTH` characters
is refused: it could be guessed by anyone who can reach the port.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable

from fastapi import HTTPException, Security, status
from fastapi.security import APIKeyHeader

from resume_ner.serve.errors import InsecureBindError

API_KEY_HEADER = "X-API-Key"
API_KEY_ENV = "RESUME_NER_API_KEY"
MIN_API_KEY_LENGTH = 16
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (an address or name) only accepts connections from this machine.

    Loopback addresses (``127.0.0.0/8``, ``::1``) and the name ``localhost`` are; every other
    address, ``0.0.0.0``/``::`` (all interfaces) and every other name are not.
    """
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def validate_api_key(api_key: str | None) -> str | None:
    """``api_key`` when it is usable, ``None`` when none was given (``None`` or empty).

    Raises :class:`InsecureBindError` for a key shorter than :data:`MIN_API_KEY_LENGTH`.
    """
    if not api_key:
        return None
    if len(api_key) < MIN_API_KEY_LENGTH:
        raise InsecureBindError(
            f"the API key must be at least {MIN_API_KEY_LENGTH} characters long "
            f"(got {len(api_key)}); e.g. python -c 'import secrets; print(secrets.token_urlsafe())'"
        )
    return api_key


def check_bind(host: str, *, protected: bool) -> None:
    """Refuse to listen on ``host`` beyond loopback unless the API is ``protected`` by a key.

    Raises :class:`InsecureBindError` (naming the host and how to set a key).
    """
    if protected or is_loopback_host(host):
        return
    raise InsecureBindError(
        f"refusing to serve on {host}: beyond loopback (127.0.0.1, ::1, localhost) the API "
        f"needs an API key; pass --api-key or set {API_KEY_ENV}"
    )


def api_key_guard(expected: str) -> Callable[..., None]:
    """A FastAPI dependency that answers 401 unless the request's ``X-API-Key`` is ``expected``."""
    header = APIKeyHeader(
        name=API_KEY_HEADER,
        auto_error=False,
        description="The API key the server was started with.",
    )
    expected_bytes = expected.encode("utf-8")

    def guard(key: str | None = Security(header)) -> None:
        if key is None or not hmac.compare_digest(key.encode("utf-8"), expected_bytes):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail=f"missing or wrong API key (send it in the {API_KEY_HEADER} header)",
                headers={"WWW-Authenticate": API_KEY_HEADER},
            )

    return guard
