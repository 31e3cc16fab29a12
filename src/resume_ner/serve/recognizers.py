"""Pattern recognizers for e-mail addresses, phone numbers and URLs, and how their spans are
merged with the model's.

E-mail addresses, phone numbers and URLs have shapes a pattern finds every time, where a
token classifier cuts them into pieces (an address is many word pieces). The patterns:

- ``EMAIL``: ``local@domain.tld`` (letters of any script, digits and ``._%+-`` in the local
  part, dot-separated labels and a TLD of two or more letters in the domain);
- ``PHONE``: :mod:`phonenumbers`' matcher at ``POSSIBLE`` leniency on every run of digits and
  phone separators of one line, without a region for a run that starts with ``+`` and once per
  region of :data:`PHONE_REGIONS` (national forms) otherwise, keeping candidates with 7-15
  digits that are not dates (``03/2019 - 05/2021``, ``2015 - 2019``, ``2019-03``,
  ``14-03-1990``) nor follow a word that says what else they are (``CEP``, ``P.O. Box``, ``RUT``,
  ``CNIC``, ``Date of Birth``, ``#``); overlapping candidates keep the longest. The matcher's cost grows faster than the length of what it is
  given, so a run longer than :data:`_MAX_RUN_CHARS` is looked at in overlapping windows of
  that length (every number of up to half of it lies whole in one), and a text gets at most
  :data:`_MAX_PHONE_PIECES` runs or windows looked at: the cost is linear in the text and
  bounded (a resume has a handful of phone-like runs; past the bound only the model finds
  phone numbers);
- ``URL``: ``http(s)://...``, ``www....`` and bare ``domain.tld/path`` (``linkedin.com/in/...``),
  without trailing punctuation.

E-mail addresses and phone numbers after a references heading are the referees': they become
:data:`REFEREE_CONTACT` spans, which no model has as a label.

A pattern span whose label the model does not have (``URL`` for the shipped labels) is a
*shield*: it yields no entity, but still removes model spans that overlap it, so a URL is never
cut into NAME or LOCATION pieces, and an e-mail or phone pattern never matches inside it.

The merge rule (:meth:`PatternRecognizers.merge`):

1. overlapping pattern spans keep the longest (a URL that holds an ``@`` stays one URL);
2. every model span that overlaps a pattern span is dropped, whatever its label: the pattern
   span replaces it when the labels agree and wins when they do not;
3. model spans of a pattern label that overlap no pattern span: ``EMAIL`` and ``URL`` spans are
   dropped (their patterns find every well-formed one, so what is left is a fragment or a false
   hit), ``PHONE`` spans are kept when they hold 7-15 digits (a format of a region the phone
   pattern was not asked about) and dropped otherwise.

Pattern entities carry the score 1.0.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from resume_ner.config.conversion import PHONE_REGIONS
from resume_ner.data.documents import SpanLike

#: Regions whose national number formats (without ``+`` country code) the phone pattern finds.
#: The labels the recognizers can emit.
PATTERN_LABELS: tuple[str, ...] = ("EMAIL", "PHONE", "URL")
_MIN_PHONE_DIGITS = 7
_MAX_PHONE_DIGITS = 15
#: The longest piece of text the phone matcher is given (see the module docstring).
_MAX_RUN_CHARS = 48
#: The most pieces of one text the phone matcher is given.
_MAX_PHONE_PIECES = 32

_EMAIL = re.compile(
    r"(?<![\w.%+-])[\w%+-]+(?:\.[\w%+-]+)*@[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)*"
    r"\.[^\W\d_]{2,}(?![\w-])"
)
_URL = re.compile(
    r"(?:\b(?:https?://|www\.)[^\s<>\"'()\[\]{}]+"
    r"|(?<![@\w.-])(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>\"'()\[\]{}]*)",
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?'\""
#: A run of digits and the separators phone numbers use, on one line.
_PHONE_CANDIDATE = re.compile(r"[+(]?\d[\d \t().\/-]{5,}\d\)?")
_DATE = re.compile(
    r"[–—]"  # noqa: RUF001
    r"|(?<![\d/.-])\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d\d(?![\d/.-])"
    r"|(?<![\d/.-])(?:19|20)\d\d[/.-]\d{1,2}[/.-]\d{1,2}(?![\d/.-])"
    r"|(?<![\d/.-])\d{1,2}[/.-](?:19|20)\d\d(?![\d/.-])"
    r"|(?<![\d/.-])(?:19|20)\d\d[/.-]\d{1,2}(?![\d/.-])"
    r"|^\(?(?:19|20)\d\d\s*[-/]\s*(?:19|20)?\d\d\)?$"
)

#: What, written just before a number, says it is no phone number: a postcode, a post box, an
#: identity, tax or licence number, a date of birth (``CEP 30710-580``, ``RUT: 15.555.321``,
#: ``PMP #1489223``).
_NOT_A_PHONE_BEFORE = re.compile(
    r"(?:\b(?:CEP|ZIP(?:\s*code)?|post\s*code|postal\s*code|P\.?\s*O\.?\s*Box|RUT|CNIC|CPF|"
    r"DNI|NIF|NIE|SSN|ID|passport(?:\s*no)?|licen[cs]e(?:\s*(?:no|number))?|"
    r"date\s+of\s+birth|DOB|born)|#|\bNo)\s*[:.#]?\s*$",
    re.IGNORECASE,
)
_BEFORE_CHARS = 32
#: A line that opens the referees' section: what follows is other people's contact details.
_REFERENCES_HEADING = re.compile(
    r"^[\W_]*(?:(?:character|professional|personal|work)\s+)?(?:references|referees|refer[eê]ncias|referencias|r[ée]f[ée]rences|referenzen|"
    r"referenze)\b",
    re.IGNORECASE | re.MULTILINE,
)
#: The label of an e-mail address or phone number in the referees' section: a shield, no entity.
REFEREE_CONTACT = "REFEREE_CONTACT"


@dataclass(frozen=True, slots=True)
class PatternSpan:
    """Characters ``start``-``end`` of a text that a pattern recognised as ``label``."""

    start: int
    end: int
    label: str


S = TypeVar("S", bound=SpanLike)


def find_emails(text: str) -> list[PatternSpan]:
    """Every e-mail address of ``text``."""
    return [PatternSpan(m.start(), m.end(), "EMAIL") for m in _EMAIL.finditer(text)]


def find_urls(text: str) -> list[PatternSpan]:
    """Every URL of ``text`` (scheme, ``www.`` or ``domain.tld/path``), trailing punctuation off."""
    found = []
    for match in _URL.finditer(text):
        end = match.end()
        while end > match.start() and text[end - 1] in _URL_TRAILING:
            end -= 1
        found.append(PatternSpan(match.start(), end, "URL"))
    return found


def find_phones(text: str, regions: Sequence[str] = PHONE_REGIONS) -> list[PatternSpan]:
    """Every phone number of ``text``: international ones and national ones of ``regions``.

    The matcher only looks at runs of digits and separators long enough to hold a number
    (:data:`_PHONE_CANDIDATE`), not at the whole text: it is several times faster so.
    """
    import phonenumbers

    candidates: set[tuple[int, int]] = set()
    for chunk, offset in itertools.islice(_phone_pieces(text), _MAX_PHONE_PIECES):
        # A number with its country code needs no region; a national one needs its own.
        for region in ("ZZ",) if chunk.startswith("+") else regions:
            matcher = phonenumbers.PhoneNumberMatcher(
                chunk, region, leniency=phonenumbers.Leniency.POSSIBLE
            )
            for match in matcher:
                raw = match.raw_string
                digits = sum(char.isdigit() for char in raw)
                start = offset + match.start
                before = text[max(0, start - _BEFORE_CHARS) : start]
                if (
                    _MIN_PHONE_DIGITS <= digits <= _MAX_PHONE_DIGITS
                    and not _DATE.search(raw)
                    and not _NOT_A_PHONE_BEFORE.search(before)
                ):
                    candidates.add(_phone_edges(text, start, offset + match.end))
    return [PatternSpan(start, end, "PHONE") for start, end in _longest_first(candidates)]


def _phone_edges(text: str, start: int, end: int) -> tuple[int, int]:
    """A matched number without surrounding whitespace, with the ``(`` of ``(+84) 912 ...``
    that the matcher left out."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    covered = text[start:end]
    if covered.count(")") > covered.count("(") and text[start - 1 : start] == "(":
        start -= 1
    return start, end


def _phone_pieces(text: str) -> Iterator[tuple[str, int]]:
    """The runs of ``text`` that may hold a phone number, long ones cut into overlapping
    windows of :data:`_MAX_RUN_CHARS`, with their offsets; dates and runs with too few digits
    are left out."""
    step = _MAX_RUN_CHARS // 2
    for run in _PHONE_CANDIDATE.finditer(text):
        start, end = run.span()
        starts = (
            range(start, max(start + 1, end - step), step)
            if end - start > _MAX_RUN_CHARS
            else (start,)
        )
        for begin in starts:
            chunk = text[begin : min(end, begin + _MAX_RUN_CHARS)]
            if sum(char.isdigit() for char in chunk) >= _MIN_PHONE_DIGITS and not _DATE.search(
                chunk
            ):
                yield chunk, begin


def _longest_first(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Non-overlapping spans, the longer winning any overlap, in text order."""
    kept = _SpanIndex()
    for start, end in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        if not kept.overlaps(start, end):
            kept.add(start, end)
    return kept.spans


class _SpanIndex:
    """Non-overlapping spans in text order, for overlap questions in logarithmic time (a text
    can hold thousands of pattern spans and model spans)."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self.spans = sorted(spans)
        self._starts = [start for start, _ in self.spans]

    def add(self, start: int, end: int) -> None:
        at = bisect.bisect_left(self._starts, start)
        self._starts.insert(at, start)
        self.spans.insert(at, (start, end))

    def overlaps(self, start: int, end: int) -> bool:
        at = bisect.bisect_left(self._starts, end)
        # The span starting last before ``end`` is the only one that can reach into it.
        return at > 0 and self.spans[at - 1][1] > start


def _phone_like(text: str) -> bool:
    return _MIN_PHONE_DIGITS <= sum(char.isdigit() for char in text) <= _MAX_PHONE_DIGITS


@dataclass(frozen=True)
class PatternRecognizers:
    """The pattern recognizers for a model whose entity types are ``labels``.

    A pattern whose label is not in ``labels`` shields its text instead of emitting an entity
    (see the module docstring). ``phone_regions`` are the regions whose national formats the
    phone pattern finds.
    """

    labels: frozenset[str]
    phone_regions: tuple[str, ...] = PHONE_REGIONS

    def find(self, text: str) -> list[PatternSpan]:
        """The pattern spans of ``text``, non-overlapping (longest wins), in text order."""
        found = [*find_urls(text), *find_emails(text), *find_phones(text, self.phone_regions)]
        by_range = {(span.start, span.end): span for span in found}
        spans = [by_range[key] for key in _longest_first(by_range)]
        heading = _REFERENCES_HEADING.search(text)
        if heading is None:
            return spans
        # Referees' addresses and numbers are not the candidate's: they shield their text.
        return [
            PatternSpan(span.start, span.end, REFEREE_CONTACT)
            if span.start >= heading.start() and span.label in ("EMAIL", "PHONE")
            else span
            for span in spans
        ]

    def merge(self, text: str, model_spans: Sequence[S]) -> tuple[list[S], list[PatternSpan]]:
        """Model spans of ``text`` kept by the merge rule, and the pattern entities to add.

        Returns ``(kept model spans, pattern spans that become entities)``; the caller builds
        its own entity objects from the second list (see the module docstring for the rule).
        """
        patterns = self.find(text)
        index = _SpanIndex((p.start, p.end) for p in patterns)
        kept = [
            span
            for span in model_spans
            if not index.overlaps(span.start, span.end) and self._keep_unconfirmed(span, text)
        ]
        emitted = [p for p in patterns if p.label in self.labels]
        return kept, emitted

    def _keep_unconfirmed(self, span: SpanLike, text: str) -> bool:
        if span.label in ("EMAIL", "URL"):
            return False
        if span.label == "PHONE":
            return _phone_like(text[span.start : span.end])
        return True
