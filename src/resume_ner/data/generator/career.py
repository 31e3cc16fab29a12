"""What a career is written with: job titles, amounts of experience, dates, degrees and
institutions, skills, and the sentences of summaries and bullet points.

A :class:`Career` holds one resume's random source, its faker, language and profession, and
hands out text as :data:`~resume_ner.data.generator.builder.Piece` lists, entities labelled
by docs/annotation.md and everything else (companies, products, numbers, ordinary words)
left unlabelled.
"""

from __future__ import annotations

import random
import re
from typing import TYPE_CHECKING

from resume_ner.data.generator.builder import Piece
from resume_ner.data.generator.languages import ENGLISH, Language
from resume_ner.data.generator.people import location
from resume_ner.data.generator.professions import EMPLOYERS, SOFT_SKILLS, Profession
from resume_ner.data.generator.sources import Locale, Sources

if TYPE_CHECKING:
    from faker import Faker

_SLOT = re.compile(r"\{(\w+)\}")
_SENIORITY = ("Senior ", "Lead ", "Junior ", "Principal ", "Sr. ", "Head ", "Chief ", "Staff ")
_LEVELS = (" II", " III", " I")
_PARENTHESES = re.compile(r"\s*\([^)]*\)")
#: The last year a resume's dates reach; later ends are written as "present".
THIS_YEAR = 2025


def _clean_job(job: str, english: bool) -> str:
    """faker's ``"Engineer, civil (consulting)"`` as a resume writes it: ``"Civil Engineer"``
    (other languages keep what comes before the comma)."""
    job = _PARENTHESES.sub("", job).split("/")[0].strip(" ,;-")
    head, _, qualifier = job.partition(",")
    job = f"{qualifier.strip()} {head}" if english and qualifier.strip() else head
    job = " ".join(job.split()).strip(" ,;-")
    return job[:1].upper() + job[1:]


class Career:
    """One resume's source of career text (see the module docstring).

    ``people`` is the Faker of the candidate's locale (names, phone numbers); ``fake`` writes
    companies, job titles and addresses, the same Faker except for locales whose names are in
    a non-Latin script, whose resumes in English name companies in English.
    """

    def __init__(
        self,
        rng: random.Random,
        fake: Faker,
        people: Faker,
        sources: Sources,
        locale: Locale,
        language: Language,
        profession: Profession,
    ) -> None:
        self.rng = rng
        self.fake = fake
        self.people = people
        self.sources = sources
        self.locale = locale
        self.language = language
        self.profession = profession
        self._skills_used: list[str] = []
        #: The candidate's headline, which a summary names (set once it is chosen).
        self.headline: str | None = None

    # -- entities -------------------------------------------------------------------------

    def designation(self) -> str:
        """A job title of the profession (English) or of faker's locale jobs (other languages)."""
        rng = self.rng
        if self.language.code != "en":
            roll = rng.random()
            if roll < 0.35:
                return _clean_job(self.fake.job(), english=False)
            if roll < 0.7:
                return rng.choice(self.language.titles)
        if rng.random() < 0.25 and self.locale.language == "en":
            return _clean_job(self.fake.job(), english=True)
        title = rng.choice(self.profession.titles)
        roll = rng.random()
        if roll < 0.3:
            title = rng.choice(_SENIORITY) + title
        elif roll < 0.35:
            title += rng.choice(_LEVELS)
        return title

    def experience(self) -> str:
        """An amount of experience (``8+ years of experience``)."""
        lang = self.language if self.rng.random() < 0.9 else ENGLISH
        return self.rng.choice(lang.experience).format(
            n=self.rng.randrange(2, 21), w=self.rng.choice(lang.number_words)
        )

    def location(self, *, region: bool = True) -> str:
        """A place of the candidate's country (see :func:`people.location`)."""
        return location(self.sources, self.locale, self.rng, region=region)

    def skill(self) -> str:
        """A skill of the profession not used yet in this resume (while there are some)."""
        pool = self.profession.skills if self.rng.random() < 0.9 else SOFT_SKILLS
        fresh = [s for s in pool if s not in self._skills_used] or list(pool)
        value = self.rng.choice(fresh)
        self._skills_used.append(value)
        return value

    def skills(self, count: int) -> list[str]:
        """``count`` different skills."""
        return [self.skill() for _ in range(count)]

    def degree(self) -> str:
        """A degree or diploma in the resume's language (English degrees in any resume)."""
        lang = self.language if self.rng.random() < 0.8 else ENGLISH
        return self.rng.choice(lang.degrees)

    def institution(self) -> str:
        """A school or university: a pattern of the language with a city or a family name."""
        lang = self.language if self.rng.random() < 0.85 else ENGLISH
        city = self.sources.city(self.locale.country, self.rng).name
        return self.rng.choice(lang.institutions).format(city=city, surname=self.fake.last_name())

    # -- ordinary text ------------------------------------------------------------------------

    def company(self) -> str:
        """A company name (never an entity): faker's, or an employer of the profession."""
        if self.rng.random() < 0.4:
            city = self.sources.city(self.locale.country, self.rng).name
            pattern = self.rng.choice(EMPLOYERS[self.profession.name])
            name = re.sub(r"\{surname\}", lambda _: self.fake.last_name(), pattern)
            return name.replace("{city}", city)
        return self.fake.company()

    def dates(self, start: int, end: int | None) -> str:
        """A date range from ``start`` to ``end`` (``None``: present) in one of many formats."""
        rng, lang = self.rng, self.language
        m1, m2 = rng.randrange(1, 13), rng.randrange(1, 13)
        present = rng.choice(lang.present)
        months = lang.months
        dash = rng.choice((" – ", " - ", " — ", "–", " to ", "-"))  # noqa: RUF001
        formats = [
            lambda y, m: f"{months[m - 1]} {y}",
            lambda y, m: f"{months[m - 1][:3]} {y}",
            lambda y, m: f"{months[m - 1][:3]}. {y}",
            lambda y, m: f"{m:02d}/{y}",
            lambda y, m: f"{m:02d}.{y}",
            lambda y, m: f"{y}-{m:02d}",
            lambda y, m: f"{y}",
            lambda y, m: f"{m}/{y}",
        ]
        form = rng.choice(formats)
        first = form(start, m1)
        second = present if end is None else form(end, m2)
        if rng.random() < 0.05:
            return f"Since {first}" if lang.code == "en" else f"{first}{dash}{present}"
        if rng.random() < 0.04:
            return f"Q{rng.randrange(1, 5)} {start}{dash}Q{rng.randrange(1, 5)} {end or THIS_YEAR}"
        return f"{first}{dash}{second}"

    def fill(self, template: str) -> list[Piece]:
        """``template`` with its slots filled (see :mod:`languages` for the slots)."""
        rng, lang = self.rng, self.language
        pieces: list[Piece] = []
        position = 0
        for match in _SLOT.finditer(template):
            if match.start() > position:
                pieces.append((template[position : match.start()], None))
            pieces.append(self._slot(match.group(1), lang, rng))
            position = match.end()
        if position < len(template):
            pieces.append((template[position:], None))
        return pieces

    def _slot(self, slot: str, lang: Language, rng: random.Random) -> Piece:
        if slot == "skill":
            return self.skill(), "SKILL"
        if slot == "designation":
            return self.headline or self.designation(), "DESIGNATION"
        if slot == "experience":
            return self.experience(), "EXPERIENCE"
        if slot == "location":
            return self.location(), "LOCATION"
        return self._ordinary(slot, lang, rng), None

    def _ordinary(self, slot: str, lang: Language, rng: random.Random) -> str:
        if slot in ("verb", "verb_lower"):
            verb = rng.choice(lang.verbs)
            return verb if slot == "verb" else verb.lower()
        if slot == "object":
            objects = self.profession.objects if lang.code == "en" else lang.objects
            return rng.choice(objects)
        if slot == "n":
            return str(rng.choice((2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 120)))
        if slot == "pct":
            return f"{rng.randrange(5, 60)}%" if rng.random() < 0.8 else f"{rng.randrange(5, 60)} %"
        if slot == "money":
            amount = rng.choice(("$", "€", "£", "R$ ", "USD ")) + str(rng.randrange(10, 950))
            return amount + rng.choice(("K", "k", " million", ",000", "M"))
        if slot == "company":
            return self.company()
        if slot == "product":
            return self.fake.catch_phrase() if rng.random() < 0.5 else self.fake.bs()
        if slot == "word":
            return rng.choice(("collaborative", "practical", "careful", "reliable", "thorough"))
        raise KeyError(slot)

    def bullet(self) -> list[Piece]:
        """One bullet point of a job."""
        lang = self.language
        if lang.code == "en" and self.rng.random() < 0.12:
            from faker.providers.lorem.en_US import Provider as EnglishWords

            sentence = self.fake.sentence(
                nb_words=self.rng.randrange(6, 14), ext_word_list=EnglishWords.word_list
            )
            return [(sentence.rstrip("."), None)]
        return self.fill(self.rng.choice(lang.bullets))

    def summary(self) -> list[Piece]:
        """A summary paragraph."""
        return self.fill(self.rng.choice(self.language.summaries))
