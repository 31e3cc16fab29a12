"""Secrets: recognise secret-looking names and token-shaped values before anything is logged.

:func:`is_secret_name` judges a param or tag *name* (``dbPassword``, ``openai_api_key``,
``connection_string``): the entry is not logged. :func:`redact_secret_text` looks at *values*,
so that a token passed under an innocent name (``--note "Bearer ..."``) never reaches a param,
a tag, the access log or a checkpoint archive (:func:`secret_kinds_in_content`).

Value shapes match anywhere in the text, without word boundaries (``key_sk-proj-...``,
``tokenghp_...`` are caught), and case-insensitively where the format allows it (``BEARER``,
``basic``, ``accountkey=``); where a prefix is short (``sk-``, ``hf_``) the token's body must
look random (a digit, a capital and a small letter) so that ``task-classification-model`` is
not taken for a key.

Why not the ``detect-secrets`` library (1.5.0), measured on the shapes below: its plugins
report a line, not where the secret is in it, so they cannot redact part of a value; of the
shapes here they find only URL passwords (``BasicAuthDetector``), ``sk_live_`` keys
(``StripeDetector``), ``AccountKey=`` (``AzureStorageKeyDetector``), private-key headers
(``PrivateKeyDetector``, not the body of a block without its END line) and ``ghp_`` tokens
(``GitHubTokenDetector``); they miss ``aws_secret_access_key=`` unquoted, ``Basic <b64>``
headers, ``Bearer`` tokens, ``sk-proj-``/``sk-ant-`` keys, ``github_pat_`` and ``hf_`` tokens;
and the high-entropy plugins flag every hash and run name this product logs. Importing it costs
90-260 ms, in a layer every command imports. What this module takes from it instead:

================================  ==================================================
shape (kind named in the value)   where the pattern comes from
================================  ==================================================
private key (to its END line,     ``PrivateKeyDetector``'s headers (PEM, OpenSSH, PGP,
or to the end of the value)       SSH2, PuTTY); redacting the body is ours
URL password                      ``BasicAuthDetector`` (``scheme://user:pass@host``)
Stripe key                        ``StripeDetector`` (``sk_live_``, ``rk_live_``, test)
Azure storage key                 ``AzureStorageKeyDetector`` (``AccountKey=``), with
                                  ``SharedAccessKey=`` and SAS ``sig=`` added
GitHub token                      ``GitHubTokenDetector`` (``ghp_`` ...), with
                                  ``github_pat_`` added
GitLab, PyPI, npm, SendGrid,      their detectors' patterns
Slack tokens, Slack webhook
JSON web token                    ``JwtTokenDetector``
AWS access key id                 ``AWSKeyDetector``'s first pattern
AWS secret access key             ours (``aws_secret_access_key=``, ``SecretAccessKey``)
OpenAI / Anthropic API key        ours (``sk-``, ``sk-proj-``, ``sk-ant-``; the
                                  library only knows legacy keys with ``T3BlbkFJ``)
bearer token, basic credentials   ours (``Bearer``, ``Basic <base64 of user:pass>``)
Google API key, Hugging Face      ours
secret assignment                 ours, after ``KeywordDetector``: ``name=value``,
                                  ``name: value`` and ``--name value`` whose name is
                                  secret-looking (:func:`is_secret_name`)
================================  ==================================================
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

#: What a redacted part of a value is replaced with; the kind of secret follows the colon.
REDACTED = "[REDACTED:{kind}]"
_ALREADY_REDACTED = "[REDACTED:"

# --- names -------------------------------------------------------------------------------------

_NAME_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
#: A name whose last word is one of these holds a secret (``db_password``, ``githubToken``).
_SECRET_LAST_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "apikey",
        "credential",
        "credentials",
        "authorization",
        "cookie",
        "dsn",
    }
)
#: ... or whose last two words are one of these (``openaiApiKey``, ``connection_string``).
_SECRET_LAST_PAIRS = frozenset(
    {
        ("api", "key"),
        ("access", "key"),
        ("account", "key"),
        ("private", "key"),
        ("secret", "key"),
        ("signing", "key"),
        ("encryption", "key"),
        ("master", "key"),
        ("session", "key"),
        ("connection", "string"),
        ("connection", "str"),
        ("conn", "str"),
        ("conn", "string"),
    }
)
#: Tokenizer vocabulary, not secrets: ``pad_token``, ``eos_token``, ``mask_token``, ...
_VOCABULARY_TOKENS = frozenset(
    {"pad", "unk", "eos", "bos", "cls", "sep", "mask", "special", "start", "end", "unknown"}
)


def is_secret_name(name: str) -> bool:
    """Whether a parameter or tag named ``name`` looks like it holds a secret.

    The name is split into words at ``_ - . /``, spaces and camelCase humps; it is a secret's
    when it is ``key`` alone, when its last word is one like ``password``, ``token``,
    ``passphrase`` or ``authorization``, or when its last two are ``api key``, ``access key``,
    ``connection string`` and the like. So ``dbPassword``, ``OPENAI_API_KEY`` and
    ``githubToken`` are secrets; ``run_key``, ``tokenizer``, ``max_tokens``, ``token_length``
    and a tokenizer's ``pad_token`` are not.
    """
    words = [word.lower() for word in _NAME_WORD.findall(name)]
    if not words:
        return False
    if words == ["key"]:
        return True
    if words[-1] in _SECRET_LAST_WORDS:
        return not (words[-1] == "token" and len(words) > 1 and words[-2] in _VOCABULARY_TOKENS)
    return len(words) > 1 and (words[-2], words[-1]) in _SECRET_LAST_PAIRS


# --- values ------------------------------------------------------------------------------------


def _looks_random(text: str) -> bool:
    """A digit, a capital and a small letter: what a random token body of 20 or more
    characters nearly always has, and words joined by dashes do not."""
    return (
        any(c.isdigit() for c in text)
        and any(c.isupper() for c in text)
        and any(c.islower() for c in text)
    )


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def _is_basic_credentials(text: str) -> bool:
    """Whether ``text`` is base64 of ``user:password`` (so ``Basic tokenization`` is not)."""
    try:
        decoded = base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    return ":" in decoded and decoded.isprintable()


_PLACEHOLDERS = frozenset({"null", "none", "true", "false", "nil", "undefined", "***", "xxx"})


def _is_assigned_secret(match: re.Match[str]) -> bool:
    value = match["secret"].strip("\"'")
    return is_secret_name(match["name"]) and value.lower() not in _PLACEHOLDERS


@dataclass(frozen=True)
class SecretShape:
    """One shape of secret: its ``kind`` (named in the redacted value), its ``pattern`` (the
    group ``secret``, when there is one, is what is redacted; else the whole match), a
    ``check`` a match must pass, and whether it is judged by a token's shape alone
    (``by_shape``) rather than by a secret-looking name beside it."""

    kind: str
    pattern: re.Pattern[str]
    check: Callable[[re.Match[str]], bool] | None = None
    by_shape: bool = True

    def redact(self, text: str) -> tuple[str, int]:
        """``text`` with each match redacted, and how many were."""
        count = 0

        def replace(match: re.Match[str]) -> str:
            nonlocal count
            if self.check is not None and not self.check(match):
                return match[0]
            count += 1
            marker = REDACTED.format(kind=self.kind)
            if "secret" not in self.pattern.groupindex:
                return marker
            start, end = match.span("secret")
            offset = match.start()
            return match[0][: start - offset] + marker + match[0][end - offset :]

        return self.pattern.sub(replace, text), count


def _body(group: str, check: Callable[[str], bool]) -> Callable[[re.Match[str]], bool]:
    return lambda match: check(match[group])


_NOT_REDACTED = r"(?!\[REDACTED:)"
_B64 = r"[A-Za-z0-9+/]"
# An assigned value: quoted or not, with its scheme word (``Bearer x``) when it has one.
_ASSIGNED_VALUE = (
    rf"(?P<secret>[\"']?{_NOT_REDACTED}(?:(?:bearer|basic|token|digest)\s+)?[^\s\"';&,]+[\"']?)"
)

#: Every shape redacted, in order: a part redacted by one is not looked at again.
SECRET_SHAPES: tuple[SecretShape, ...] = (
    SecretShape(
        "private key",
        re.compile(
            r"-{4,5} ?BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)? ?-{4,5}"
            r"(?:.*?-{4,5} ?END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)? ?-{4,5}|.*)"
            r"|PuTTY-User-Key-File-\d+:.*",
            re.DOTALL | re.IGNORECASE,
        ),
    ),
    SecretShape(
        "URL password",
        # The look-behind starts a scheme only where a run of its characters starts, so that a
        # long run (a hash, a base64 blob) is scanned once, not from every one of its characters.
        re.compile(
            r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]*:(?P<secret>[^\s/@]+)@[^\s/@]"
        ),
        _body("secret", lambda text: not text.startswith(_ALREADY_REDACTED)),
    ),
    SecretShape("Anthropic API key", re.compile(r"sk-ant-[A-Za-z0-9_\-]{20,}")),
    SecretShape(
        "OpenAI-style API key",
        re.compile(r"sk-(?:(?:proj|svcacct|admin|None)-)?(?P<body>[A-Za-z0-9_\-]{20,})"),
        _body("body", _looks_random),
    ),
    SecretShape("Stripe key", re.compile(r"(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,}")),
    SecretShape(
        "AWS access key id", re.compile(r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[0-9A-Z]{16}")
    ),
    SecretShape(
        "AWS secret access key",
        re.compile(
            r"(?:aws_?)?(?:secret_?access_?key|session_?token)[\"']?\s*[=:]\s*[\"']?"
            rf"(?P<secret>{_NOT_REDACTED}[A-Za-z0-9/+=]{{16,}})",
            re.IGNORECASE,
        ),
    ),
    SecretShape(
        "Azure storage key",
        re.compile(
            rf"(?:AccountKey|SharedAccessKey|SharedSecret)\s*=\s*(?P<secret>{_NOT_REDACTED}"
            r"[A-Za-z0-9+/=]{16,})",
            re.IGNORECASE,
        ),
    ),
    SecretShape(
        "Azure SAS signature",
        re.compile(r"[?&]sig=(?P<secret>[A-Za-z0-9%+/=]{16,})", re.IGNORECASE),
    ),
    SecretShape(
        "GitHub token",
        re.compile(r"(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    ),
    SecretShape(
        "GitLab token",
        re.compile(r"(?:glpat|gldt|glft|glsoat|glrt|glcbt|glptt|gloas)-[A-Za-z0-9_\-]{20,}"),
    ),
    SecretShape("PyPI token", re.compile(r"pypi-AgE[A-Za-z0-9_\-]{50,}")),
    SecretShape("npm token", re.compile(r"npm_[A-Za-z0-9]{36}")),
    SecretShape("SendGrid key", re.compile(r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}")),
    SecretShape(
        "Slack token",
        re.compile(
            r"xox[abposr]-[A-Za-z0-9\-]{10,}"
            r"|https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+",
            re.IGNORECASE,
        ),
    ),
    SecretShape(
        "bearer token",
        re.compile(r"bearer\s+(?P<body>[A-Za-z0-9\-._~+/]{12,}=*)", re.IGNORECASE),
        _body("body", _has_digit),
    ),
    SecretShape(
        "basic credentials",
        re.compile(rf"basic\s+(?P<body>{_B64}{{4,}}={{0,2}})", re.IGNORECASE),
        _body("body", _is_basic_credentials),
    ),
    SecretShape(
        "JSON web token",
        re.compile(r"eyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}"),
    ),
    SecretShape("Google API key", re.compile(r"AIza[0-9A-Za-z_\-]{35}")),
    SecretShape(
        "Hugging Face token",
        re.compile(r"hf_(?P<body>[A-Za-z0-9]{30,})"),
        _body("body", _looks_random),
    ),
    SecretShape(
        "secret assignment",
        re.compile(
            # A name starts where its run of name characters starts (linear in the text).
            r"(?<![A-Za-z0-9_.\-])(?P<name>[A-Za-z][A-Za-z0-9_.\-]*)[\"']?\s*[=:]\s*"
            + _ASSIGNED_VALUE,
            re.IGNORECASE,
        ),
        _is_assigned_secret,
        by_shape=False,
    ),
    SecretShape(
        "secret option",
        re.compile(r"--(?P<name>[A-Za-z][A-Za-z0-9_.\-]*)\s+" + _ASSIGNED_VALUE, re.IGNORECASE),
        _is_assigned_secret,
        by_shape=False,
    ),
)


def redact_secret_text(text: str) -> tuple[str, list[str]]:
    """``text`` with every secret-shaped part replaced by ``[REDACTED:<kind>]``, and the kinds."""
    found: list[str] = []
    for shape in SECRET_SHAPES:
        text, count = shape.redact(text)
        if count:
            found.append(shape.kind)
    return text, found


def secret_kinds_in_content(content: bytes) -> list[str]:
    """The kinds of secret whose shape ``content`` (a file's bytes) holds: a private-key block
    or a token. Assignments are left out, so that a tokenizer's ``"pad_token": "[PAD]"`` and
    a config's ``"hub_token": null`` do not mark a checkpoint file as a secret."""
    text = content.decode("latin-1")
    return [shape.kind for shape in SECRET_SHAPES if shape.by_shape and shape.redact(text)[1]]


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
