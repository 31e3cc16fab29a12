"""A seeded generator of synthetic resumes with exact entity offsets, in named profiles.

The ``default`` profile is the training data of the shipped configuration. Its resumes vary in layout (header blocks, key-value headers, two-column headers, markdown,
narrative), section order, headings, bullet marks, list styles and whitespace (tabs, double
spaces, blank lines with spaces, CRLF line ends); people come from several countries with
accented and non-Latin names, local phone formats and cities. About one in seven resumes is
long (many jobs and projects, well over 512 tokens). Everything is invented (see
:mod:`resume_ner.data.synthetic_lexicon`). Document ``i`` depends only on ``(seed, i)``, so
``generate_documents(n, seed)`` is a prefix of ``generate_documents(n + k, seed)``.

The ``varied`` profile (:class:`_VariedResume`) writes what the default one never does, to test a
model on resumes unlike its training data: the body in two columns as PDF text extraction
interleaves them, experience as a table, headings in spaced capitals, more bullet marks, dates in
many formats, names with middle initials from seven more countries (all with ``+`` country
codes), and OCR noise (confused characters, split words) in about a third of the resumes, only
outside entities. Its documents are seeded apart from the default profile's (another random
stream for the same seed). The annotation conventions of both are in ``docs/annotation.md``.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from resume_ner.data import synthetic_lexicon as lex
from resume_ner.data.documents import Document, Span

LONG_DOCUMENT_RATE = 0.15
#: Entity types a resume may leave out (with the probability of leaving each out).
OPTIONAL_ENTITIES = {"PHONE": 0.05, "EXPERIENCE": 0.05, "LOCATION": 0.05, "EDUCATION": 0.05}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_ASCII_FOLD = str.maketrans(
    {"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ı": "i", "þ": "th"}  # noqa: RUF001
)


class _Builder:
    """Appends text and records entity spans at their exact character offsets."""

    def __init__(self, newline: str, noise: Callable[[str], str] | None = None) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.spans: list[Span] = []
        self.nl = newline
        self.noise = noise

    def _append(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def add(self, text: str) -> None:
        self._append(self.noise(text) if self.noise else text)

    def entity(self, text: str, label: str) -> None:
        self.spans.append(Span(self.length, self.length + len(text), label))
        self._append(text)

    def line(self, text: str = "") -> None:
        self.add(text + self.nl)

    def document(self, doc_id: str) -> Document:
        return Document("".join(self.parts), tuple(self.spans), doc_id)


@dataclass(frozen=True)
class _Person:
    country: lex.Country
    name: str
    email: str
    phone: str | None
    location: str | None


def _fill_digits(pattern: str, rng: random.Random) -> str:
    out = []
    for char in pattern:
        if char == "#":
            out.append(str(rng.randrange(10)))
        elif char == "N":
            out.append(str(rng.randrange(1, 10)))
        else:
            out.append(char)
    return "".join(out)


def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower().translate(_ASCII_FOLD))
    return "".join(c for c in folded if c.isascii() and c.isalnum())


def _email(given: str, family: str, rng: random.Random) -> str:
    g, f = _ascii_slug(given) or "candidate", _ascii_slug(family) or "resume"
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
        )
    )
    return f"{local}@{rng.choice(lex.EMAIL_DOMAINS)}"


def _location(country: lex.Country, rng: random.Random) -> str:
    city = rng.choice(country.cities)
    return city if rng.random() < 0.5 else f"{city}, {country.name}"


def _person(rng: random.Random, omit: str | None) -> _Person:
    country = rng.choice(lex.COUNTRIES)
    if country.native_names and rng.random() < 0.3:
        given, family, name = rng.choice(country.native_names)
    else:
        given, family = rng.choice(country.given_names), rng.choice(country.family_names)
        family_first = country.family_name_first and rng.random() < 0.5
        name = f"{family} {given}" if family_first else f"{given} {family}"
    phone = _fill_digits(rng.choice(country.phone_patterns), rng) if omit != "PHONE" else None
    location = _location(country, rng) if omit != "LOCATION" else None
    return _Person(country, name, _email(given, family, rng), phone, location)


def _designation(rng: random.Random) -> str:
    return rng.choice(lex.SENIORITY) + rng.choice(lex.DESIGNATIONS)


def _experience(rng: random.Random, country: lex.Country) -> str:
    n = rng.randrange(1, 21)
    word = rng.choice(lex.NUMBER_WORDS)
    patterns = lex.EXPERIENCE_PATTERNS
    local = lex.LOCAL_EXPERIENCE_PATTERNS.get(country.code)
    if local and rng.random() < 0.3:
        patterns = local
    return rng.choice(patterns).format(n=n, w=word)


def _template(
    b: _Builder,
    pattern: str,
    rng: random.Random,
    values: dict[str, Callable[[], tuple[str, str | None]]],
) -> None:
    """Write ``pattern``; each ``{key}`` is ``values[key]()`` -> (text, label or None)."""
    position = 0
    for match in _PLACEHOLDER.finditer(pattern):
        b.add(pattern[position : match.start()])
        text, label = values[match.group(1)]()
        if label is None:
            b.add(text)
        else:
            b.entity(text, label)
        position = match.end()
    b.add(pattern[position:])


def _plain_values(rng: random.Random) -> dict[str, Callable[[], tuple[str, str | None]]]:
    picked: list[str] = []

    def skill() -> tuple[str, str | None]:
        choices = [s for s in lex.SKILLS if s not in picked] or list(lex.SKILLS)
        value = rng.choice(choices)
        picked.append(value)
        return value, "SKILL"

    return {
        "skill": skill,
        "n": lambda: (str(rng.randrange(2, 10)), None),
        "k": lambda: (str(rng.randrange(5, 900)), None),
        "p": lambda: (str(rng.randrange(10, 70)), None),
        "domain": lambda: (rng.choice(lex.DOMAINS), None),
        "title": lambda: (rng.choice(lex.PROJECT_TITLES), None),
    }


class _Resume:
    """The state of one resume being written."""

    def __init__(self, rng: random.Random, index: int, seed: int) -> None:
        self.rng = rng
        self.doc_id = f"synthetic-{seed}-{index:05d}"
        self.omit = self._choose_omission()
        self.long = rng.random() < LONG_DOCUMENT_RATE
        newline = "\r\n" if rng.random() < 0.05 else "\n"
        self.b = _Builder(newline)
        self.person = _person(rng, self.omit)
        self.title = _designation(rng)
        self.bullet = rng.choice(lex.BULLET_MARKS)
        self.heading_style = rng.randrange(7)

    def _choose_omission(self) -> str | None:
        roll = self.rng.random()
        for label, probability in OPTIONAL_ENTITIES.items():
            if roll < probability:
                return label
            roll -= probability
        return None

    def has(self, label: str) -> bool:
        return self.omit != label

    # -- pieces -------------------------------------------------------------------------

    def gap(self) -> None:
        self.b.add(self.rng.choice((self.b.nl, self.b.nl * 2, " " + self.b.nl, "\t" + self.b.nl)))

    def heading(self, section: str) -> None:
        title = self.rng.choice(lex.SECTION_TITLES[section])
        style = self.heading_style
        b = self.b
        if style == 0:
            b.line(title.upper())
        elif style == 1:
            b.line(title)
        elif style == 2:
            b.line(f"{title}:")
        elif style == 3:
            b.line(title.upper())
            b.line("-" * len(title))
        elif style == 4:
            b.line(f"## {title}")
        elif style == 5:
            b.line(f"[ {title} ]")
        else:
            b.line(title)
            b.line("=" * len(title))

    def location_entity(self, text: str | None = None) -> None:
        self.b.entity(text or _location(self.person.country, self.rng), "LOCATION")

    def contact_items(self) -> list[tuple[str, str]]:
        p = self.person
        items = [(p.email, "EMAIL")]
        if p.phone:
            items.append((p.phone, "PHONE"))
        if p.location:
            items.append((p.location, "LOCATION"))
        return items

    # -- headers ----------------------------------------------------------------------------

    def header_classic(self) -> None:
        rng, b, p = self.rng, self.b, self.person
        b.entity(p.name.upper() if rng.random() < 0.3 else p.name, "NAME")
        b.line()
        b.entity(self.title, "DESIGNATION")
        b.line()
        separator = rng.choice((" | ", " • ", "  ·  ", "\t", " / ", "  "))
        for i, (text, label) in enumerate(self.contact_items()):
            if i:
                b.add(separator)
            b.entity(text, label)
        b.line()

    def header_key_value(self) -> None:
        rng, b, p = self.rng, self.b, self.person
        colon = rng.choice((": ", ":  ", ":\t", " : "))
        b.add(f"Name{colon}")
        b.entity(p.name, "NAME")
        b.line()
        b.add(f"{rng.choice(('Email', 'E-mail', 'Mail'))}{colon}")
        b.entity(p.email, "EMAIL")
        b.line()
        if p.phone:
            b.add(f"{rng.choice(('Phone', 'Mobile', 'Tel.', 'Contact'))}{colon}")
            b.entity(p.phone, "PHONE")
            b.line()
        if p.location:
            b.add(f"{rng.choice(('Location', 'Address', 'City', 'Based in'))}{colon}")
            b.entity(p.location, "LOCATION")
            b.line()
        b.add(f"Current role{colon}")
        b.entity(self.title, "DESIGNATION")
        b.line()

    def header_two_column(self) -> None:
        b, p = self.b, self.person
        width = max(len(p.name), len(self.title)) + self.rng.randrange(4, 20)
        right = self.contact_items()
        left = [(p.name, "NAME"), (self.title, "DESIGNATION")]
        for row in range(max(len(left), len(right))):
            used = 0
            if row < len(left):
                b.entity(*left[row])
                used = len(left[row][0])
            if row < len(right):
                b.add("\t" if self.rng.random() < 0.2 else " " * (width - used))
                b.entity(*right[row])
            b.line()

    def header_markdown(self) -> None:
        rng, b, p = self.rng, self.b, self.person
        b.add("# ")
        b.entity(p.name, "NAME")
        b.line()
        b.add("**")
        b.entity(self.title, "DESIGNATION")
        b.add("**")
        if p.location:
            b.add(" — ")
            b.entity(p.location, "LOCATION")
        b.line()
        b.add(rng.choice(("📧 ", "✉ ", "Email: ")))
        b.entity(p.email, "EMAIL")
        if p.phone:
            b.add(rng.choice((" · 📞 ", " | ☎ ", "  Phone: ")))
            b.entity(p.phone, "PHONE")
        b.line()

    def narrative(self) -> None:
        rng, b, p = self.rng, self.b, self.person
        b.add(rng.choice(("My name is ", "I am ", "Hello, I'm ")))
        b.entity(p.name, "NAME")
        b.add(", a ")
        b.entity(self.title, "DESIGNATION")
        if p.location:
            b.add(" based in ")
            b.entity(p.location, "LOCATION")
        if self.has("EXPERIENCE"):
            b.add(" with ")
            b.entity(_experience(rng, self.person.country), "EXPERIENCE")
        b.add(". I enjoy working with ")
        values = _plain_values(rng)
        _template(b, "{skill}, {skill} and {skill}.", rng, values)
        b.add(" You can reach me at ")
        b.entity(p.email, "EMAIL")
        if p.phone:
            b.add(" or on ")
            b.entity(p.phone, "PHONE")
        b.line(".")

    # -- sections ---------------------------------------------------------------------------

    def summary(self) -> None:
        rng, b = self.rng, self.b
        values = _plain_values(rng)
        values["designation"] = lambda: (self.title, "DESIGNATION")
        values["experience"] = lambda: (_experience(rng, self.person.country), "EXPERIENCE")
        values["location"] = lambda: (_location(self.person.country, rng), "LOCATION")
        patterns = [
            "{designation} with {experience} in {skill}, {skill} and {skill}.",
            "Results-driven {designation} with {experience} building {domain} products.",
            "{experience} as a {designation}; strongest in {skill} and {skill}.",
            "Passionate about {skill} and {skill}, with {experience} in {domain}.",
        ]
        if not self.has("EXPERIENCE"):
            patterns = ["Passionate {designation} focused on {skill} and {skill} for {domain}."]
        self.heading("summary")
        _template(b, rng.choice(patterns), rng, values)
        if self.has("LOCATION") and rng.random() < 0.4:
            _template(
                b,
                rng.choice((" Based in {location}.", " Open to relocation from {location}.")),
                rng,
                values,
            )
        b.line()

    def dates(self) -> str:
        rng = self.rng
        start = rng.randrange(2001, 2022)
        end = start + rng.randrange(1, 5)
        month_a, month_b = rng.choice(lex.MONTHS), rng.choice(lex.MONTHS)
        end_text = "Present" if end > 2024 else f"{month_b} {end}"
        return rng.choice(
            (
                f"{month_a} {start} – {end_text}",  # noqa: RUF001
                f"{start} - {end if end <= 2024 else 'present'}",
                f"{rng.randrange(1, 13):02d}/{start} – {rng.randrange(1, 13):02d}/{min(end, 2024)}",  # noqa: RUF001
                f"{month_a} {start} to {end_text}",
            )
        )

    def job(self) -> None:
        rng, b = self.rng, self.b
        company = f"{rng.choice(lex.COMPANY_STEMS)} {rng.choice(lex.COMPANY_SUFFIXES)}"
        title = _designation(rng)
        style = rng.randrange(4)
        with_location = self.has("LOCATION")
        if style == 0:
            b.entity(title, "DESIGNATION")
            b.add(f" | {company} | ")
            if with_location:
                self.location_entity()
                b.add(" | ")
            b.line(self.dates())
        elif style == 1:
            b.add(company)
            if with_location:
                b.add(" — ")
                self.location_entity()
            b.line()
            b.entity(title, "DESIGNATION")
            b.line()
            b.line(self.dates())
        elif style == 2:
            b.entity(title, "DESIGNATION")
            b.line(f", {company} ({self.dates()})")
        else:
            b.add(f"{self.dates()}\t")
            b.entity(title, "DESIGNATION")
            b.add(f" at {company}")
            if with_location:
                b.add(", ")
                self.location_entity()
            b.line()
        count = rng.randrange(4, 8) if self.long else rng.randrange(2, 5)
        for _ in range(count):
            b.add(self.bullet)
            _template(b, rng.choice(lex.BULLETS), rng, _plain_values(rng))
            b.line(rng.choice(("", ".", ";")))

    def experience(self) -> None:
        self.heading("experience")
        jobs = self.rng.randrange(7, 12) if self.long else self.rng.randrange(1, 5)
        for number in range(jobs):
            if number:
                self.gap()
            self.job()

    def education(self) -> None:
        rng, b = self.rng, self.b
        self.heading("education")
        for _ in range(rng.randrange(1, 3)):
            degree = rng.choice(lex.DEGREES)
            pattern = rng.choice(lex.UNIVERSITY_PATTERNS)
            university = pattern.format(place=rng.choice(lex.UNIVERSITY_PLACES))
            year = str(rng.randrange(1995, 2024))
            style = rng.randrange(3)
            if style == 0:
                b.entity(degree, "EDUCATION")
                b.add(", ")
                b.entity(university, "EDUCATION")
                b.line(f", {year}")
            elif style == 1:
                b.entity(degree, "EDUCATION")
                b.line()
                b.entity(university, "EDUCATION")
                b.line(f" ({year})")
            else:
                b.add(f"{year} – ")  # noqa: RUF001
                b.entity(degree, "EDUCATION")
                b.add(" from ")
                b.entity(university, "EDUCATION")
                b.line()

    def skills(self) -> None:
        rng, b = self.rng, self.b
        self.heading("skills")
        chosen = rng.sample(lex.SKILLS, rng.randrange(5, 14))
        style = rng.randrange(5)
        if style in (0, 1):
            separator = ", " if style == 0 else rng.choice((" | ", " · ", " / ", "; "))
            for i, skill in enumerate(chosen):
                if i:
                    b.add(separator)
                b.entity(skill, "SKILL")
            b.line()
        elif style == 2:
            for skill in chosen:
                b.add(self.bullet)
                b.entity(skill, "SKILL")
                b.line()
        elif style == 3:
            half = len(chosen) // 2
            for group, items in (("Languages", chosen[:half]), ("Tools", chosen[half:])):
                b.add(f"{group}: ")
                for i, skill in enumerate(items):
                    if i:
                        b.add(", ")
                    b.entity(skill, "SKILL")
                b.line()
        else:
            width = max(len(s) for s in chosen) + 3
            for i, skill in enumerate(chosen):
                b.entity(skill, "SKILL")
                if i % 3 == 2 or i == len(chosen) - 1:
                    b.line()
                else:
                    b.add(" " * (width - len(skill)))

    def projects(self) -> None:
        rng, b = self.rng, self.b
        self.heading("projects")
        for _ in range(rng.randrange(3, 7) if self.long else rng.randrange(1, 3)):
            b.add(self.bullet)
            _template(b, rng.choice(lex.PROJECT_LINES), rng, _plain_values(rng))
            b.line()

    def languages(self) -> None:
        self.heading("languages")
        self.b.line(", ".join(self.rng.sample(lex.LANGUAGES, self.rng.randrange(1, 4))))

    def interests(self) -> None:
        self.heading("interests")
        self.b.line(", ".join(self.rng.sample(lex.INTERESTS, self.rng.randrange(2, 4))))

    # -- the whole resume -------------------------------------------------------------------

    def write(self) -> Document:
        rng = self.rng
        layout = rng.choice(
            ("classic", "classic", "key_value", "two_column", "markdown", "narrative")
        )
        if layout == "narrative":
            self.narrative()
        else:
            getattr(self, f"header_{layout}")()
        sections: list[Callable[[], None]] = [self.experience, self.skills]
        if self.has("EDUCATION"):
            sections.append(self.education)
        if self.long or rng.random() < 0.4:
            sections.append(self.projects)
        rng.shuffle(sections)
        if layout != "narrative":
            sections.insert(0, self.summary)
        extras = [self.languages, self.interests]
        sections += [extra for extra in extras if rng.random() < 0.35]
        for section in sections:
            self.gap()
            section()
        return self.b.document(self.doc_id)


class _VariedResume(_Resume):
    """A resume of the ``varied`` profile (see the module docstring)."""

    def __init__(self, rng: random.Random, index: int, seed: int) -> None:
        super().__init__(rng, index, seed)
        self.doc_id = f"synthetic-varied-{seed}-{index:05d}"
        self.person = _varied_person(rng, self.omit)
        self.bullet = rng.choice(lex.VARIED_BULLET_MARKS)
        self.heading_style = rng.randrange(9)
        if rng.random() < 0.35:
            self.b.noise = _OcrNoise(random.Random(rng.random()))

    def heading(self, section: str) -> None:
        title = self.rng.choice(lex.SECTION_TITLES[section])
        if self.heading_style == 7:
            self.b.line(" ".join(title.upper()))
        elif self.heading_style == 8:
            self.b.line(f"{title.upper()}:")
        else:
            super().heading(section)

    def dates(self) -> str:
        rng = self.rng
        start, months = rng.randrange(1998, 2022), rng.randrange(3, 60)
        end = start + months // 12
        m1, m2 = rng.randrange(1, 13), rng.randrange(1, 13)
        current = end > 2024
        end_word = rng.choice(("Present", "present", "now", "Current", "today", "heute"))
        name = lex.MONTH_NAMES
        formats = (
            f"{name[m1 - 1]} {start} - {end_word if current else f'{name[m2 - 1]} {end}'}",
            f"{start}-{m1:02d} to {end_word if current else f'{end}-{m2:02d}'}",
            f"{m1:02d}.{start} - {end_word if current else f'{m2:02d}.{end}'}",
            f"{name[m1 - 1][:3]}. {start} – {end_word if current else f'{name[m2 - 1][:3]}. {end}'}",  # noqa: RUF001
            f"{start}/{m1:02d} - {end_word if current else f'{end}/{m2:02d}'}",
            f"Since {name[m1 - 1]} {start}",
            f"{start} – {end_word if current else end}",  # noqa: RUF001
            f"'{start % 100:02d} - '{end % 100:02d}",
            f"Q{rng.randrange(1, 5)} {start} - Q{rng.randrange(1, 5)} {min(end, 2024)}",
        )
        return rng.choice(formats)

    def experience_table(self) -> None:
        rng, b = self.rng, self.b
        self.heading("experience")
        b.line("| Role | Company | Location | Period |")
        b.line("|---|---|---|---|")
        for _ in range(rng.randrange(2, 6)):
            b.add("| ")
            b.entity(_designation(rng), "DESIGNATION")
            b.add(f" | {rng.choice(lex.COMPANY_STEMS)} {rng.choice(lex.COMPANY_SUFFIXES)} | ")
            if self.has("LOCATION"):
                self.location_entity()
            b.line(f" | {self.dates()} |")

    def two_column_body(self) -> None:
        """Skills and education on the left, experience on the right, line by line as PDF text
        extraction interleaves two columns."""
        rng = self.rng
        left: list[list[tuple[str, str | None]]] = [[("SKILLS", None)]]
        left += [[(skill, "SKILL")] for skill in rng.sample(lex.SKILLS, rng.randrange(4, 9))]
        if self.has("EDUCATION"):
            left += [[("", None)], [("EDUCATION", None)]]
            left.append([(rng.choice(lex.DEGREES), "EDUCATION")])
            university = rng.choice(lex.UNIVERSITY_PATTERNS).format(
                place=rng.choice(lex.UNIVERSITY_PLACES)
            )
            left.append([(university, "EDUCATION")])
            left.append([(str(rng.randrange(1995, 2024)), None)])
        right: list[list[tuple[str, str | None]]] = [[("EXPERIENCE", None)]]
        for _ in range(rng.randrange(1, 4)):
            company = f"{rng.choice(lex.COMPANY_STEMS)} {rng.choice(lex.COMPANY_SUFFIXES)}"
            right.append([(_designation(rng), "DESIGNATION"), (f", {company}", None)])
            row: list[tuple[str, str | None]] = [(self.dates(), None)]
            if self.has("LOCATION"):
                row += [(" | ", None), (_location(self.person.country, rng), "LOCATION")]
            right.append(row)
            for _ in range(rng.randrange(1, 3)):
                words = rng.choice(lex.BULLETS).split()[:5]
                right.append([(self.bullet + " ".join(w for w in words if "{" not in w), None)])
        width = max(sum(len(text) for text, _ in cells) for cells in left) + rng.randrange(3, 9)
        for number in range(max(len(left), len(right))):
            used = 0
            for text, label in left[number] if number < len(left) else []:
                self.b.entity(text, label) if label else self.b.add(text)
                used += len(text)
            if number < len(right):
                self.b.add(" " * (width - used))
                for text, label in right[number]:
                    self.b.entity(text, label) if label else self.b.add(text)
            self.b.line()

    def write(self) -> Document:
        rng = self.rng
        layout = rng.choice(
            ("classic", "key_value", "two_column", "markdown", "narrative", "classic")
        )
        if layout == "narrative":
            self.narrative()
        else:
            getattr(self, f"header_{layout}")()
        body = rng.choice(("sections", "two_column_body", "table"))
        if body == "two_column_body":
            self.gap()
            self.two_column_body()
            return self.b.document(self.doc_id)
        experience = self.experience_table if body == "table" else self.experience
        sections: list[Callable[[], None]] = [experience, self.skills]
        if self.has("EDUCATION"):
            sections.append(self.education)
        if self.long or rng.random() < 0.4:
            sections.append(self.projects)
        rng.shuffle(sections)
        if layout != "narrative":
            sections.insert(0, self.summary)
        sections += [extra for extra in (self.languages, self.interests) if rng.random() < 0.35]
        for section in sections:
            self.gap()
            section()
        return self.b.document(self.doc_id)


class _OcrNoise:
    """Text as OCR reads it: some characters confused, some words split across lines."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self, text: str) -> str:
        out = []
        for char in text:
            roll = self.rng.random()
            if roll < 0.03 and char in lex.OCR_CONFUSIONS:
                out.append(lex.OCR_CONFUSIONS[char])
            elif roll < 0.035 and char == " ":
                out.append("  ")
            elif roll < 0.036 and char.isalpha():
                out.append(f"{char}-\n")
            else:
                out.append(char)
        return "".join(out)


def _varied_person(rng: random.Random, omit: str | None) -> _Person:
    country = rng.choice(lex.COUNTRIES + lex.EXTRA_COUNTRIES)
    if country.native_names and rng.random() < 0.3:
        given, family, name = rng.choice(country.native_names)
    else:
        given, family = rng.choice(country.given_names), rng.choice(country.family_names)
        if rng.random() < 0.25:
            given = f"{given} {rng.choice(lex.MIDDLE_INITIALS)}"
        family_first = country.family_name_first and rng.random() < 0.5
        name = f"{family} {given}" if family_first else f"{given} {family}"
    phone = _fill_digits(rng.choice(country.phone_patterns), rng) if omit != "PHONE" else None
    location = _location(country, rng) if omit != "LOCATION" else None
    return _Person(country, name, _email(given.split()[0], family, rng), phone, location)


#: The generator profiles by name: what a resume of each looks like.
PROFILES: dict[str, type[_Resume]] = {"default": _Resume, "varied": _VariedResume}


def generate_document(index: int, seed: int, profile: str = "default") -> Document:
    """Synthetic resume number ``index`` for ``seed`` (deterministic, independent of others).

    Raises :class:`ValueError` for a profile not in :data:`PROFILES`.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown synthetic profile {profile!r}; known: {sorted(PROFILES)}")
    stream = f"{seed}:{index}" if profile == "default" else f"{profile}:{seed}:{index}"
    rng = random.Random(f"resume-ner-synthetic:{stream}")
    return PROFILES[profile](rng, index, seed).write()


def generate_documents(n: int, seed: int, profile: str = "default") -> list[Document]:
    """``n`` synthetic resumes of ``profile`` for ``seed``, ids ``synthetic-[<profile>-]<seed>-<index>``.

    Deterministic: the same ``(n, seed, profile)`` gives the same documents on every machine.
    Raises :class:`ValueError` for a negative ``n`` or an unknown profile.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return [generate_document(index, seed, profile) for index in range(n)]
