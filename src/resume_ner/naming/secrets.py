"""Secret values: recognise well-known token shapes and redact them before anything is logged.

Names that look like secrets (``password``, ``api_key``) are recognised by
:func:`resume_ner.naming.tags.is_secret_name`; this module looks at the *values*, so that a
token passed under an innocent name (``--note "Bearer ..."``) never reaches a param, a tag or
the access log.

The shapes are a short list of regular expressions rather than the ``detect-secrets`` library:
its 1.5 release does not recognise Anthropic keys (``sk-ant-``), OpenAI project keys
(``sk-proj-``), ``Bearer`` tokens nor fine-grained GitHub tokens (``github_pat_``), its import
costs about 130 ms (the tracking layer is imported by every command) and each scanned value
about 6 ms through its plugin machinery; every value of every param and tag passes here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger(__name__)

#: What a redacted part of a value is replaced with; the kind of secret follows the colon.
REDACTED = "[REDACTED:{kind}]"

#: ``(kind, pattern)`` for every token shape redacted; the first match of a part wins.
SECRET_VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "private key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
            r"(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?",
            re.DOTALL,
        ),
    ),
    ("Anthropic API key", re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{16,}")),
    ("OpenAI-style API key", re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}")),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})")),
    ("bearer token", re.compile(r"\b[Bb]earer\s+[A-Za-z0-9\-._~+/]{12,}=*")),
    (
        "JSON web token",
        re.compile(r"\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}"),
    ),
    ("Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}")),
    ("Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}")),
)


def redact_secret_text(text: str) -> tuple[str, list[str]]:
    """``text`` with every token-shaped part replaced by ``[REDACTED:<kind>]``, and the kinds."""
    found: list[str] = []
    for kind, pattern in SECRET_VALUE_PATTERNS:
        text, count = pattern.subn(REDACTED.format(kind=kind), text)
        if count:
            found.append(kind)
    return text, found


def redact_secret_value(name: str, value: Any) -> Any:
    """``value`` with token-shaped parts redacted; logs a warning naming ``name`` if any were.

    Values that are not text (numbers, booleans, ``None``) are returned as they are; mappings
    and sequences are checked through their text and, when they hold a secret, returned as
    redacted text.
    """
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else str(value)
    redacted, kinds = redact_secret_text(text)
    if not kinds:
        return value
    logger.warning(
        "the value of %r looks like a secret (%s); it is stored redacted",
        name,
        ", ".join(kinds),
    )
    return redacted


def redact_secret_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with :func:`redact_secret_value` applied to each entry (nested mappings too)."""
    return {
        name: (
            redact_secret_values(value)
            if isinstance(value, Mapping)
            else redact_secret_value(str(name), value)
        )
        for name, value in values.items()
    }
