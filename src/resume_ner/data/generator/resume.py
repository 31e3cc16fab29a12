"""The content of one resume, before any layout: the candidate, jobs, education, skills and
the rest, each as text pieces with their entity labels."""

from __future__ import annotations

import random
from dataclasses import dataclass

from resume_ner.data.generator.builder import Piece
from resume_ner.data.generator.career import THIS_YEAR, Career
from resume_ner.data.generator.people import Person, ascii_slug, person
from resume_ner.data.generator.sources import Locale

#: Entity types a resume may leave out (with the probability of leaving each out).
OPTIONAL_ENTITIES = {"PHONE": 0.05, "EXPERIENCE": 0.05, "LOCATION": 0.05, "EDUCATION": 0.05}


@dataclass
class Job:
    """One position held."""

    title: str
    company: str
    location: str | None
    dates: str
    bullets: list[list[Piece]]


@dataclass
class Degree:
    """A degree and the institution that awarded it."""

    degree: str
    institution: str
    location: str | None
    year: int
    dates: str


@dataclass
class Resume:
    """Everything one resume says; layouts decide how it is written."""

    locale: Locale
    candidate: Person
    location: str | None
    headline: str
    summary: list[Piece]
    jobs: list[Job]
    degrees: list[Degree]
    skills: list[str]
    certifications: list[str]
    spoken: str
    interests: list[str]
    referees: list[tuple[Person, str, str]]
    links: list[str]
    omit: str | None
    long: bool

    def has(self, label: str) -> bool:
        """Whether the resume writes entities of ``label`` (one optional type may be left out)."""
        return self.omit != label


def _omission(rng: random.Random) -> str | None:
    roll = rng.random()
    for label, probability in OPTIONAL_ENTITIES.items():
        if roll < probability:
            return label
        roll -= probability
    return None


def write_resume(career: Career, long: bool) -> Resume:
    """The content of one resume from ``career``'s sources; ``long`` gives many jobs."""
    rng, fake = career.rng, career.fake
    omit = _omission(rng)
    candidate = person(career.people, career.locale, rng)
    headline = career.designation()
    career.headline = headline
    jobs: list[Job] = []
    end: int | None = None if rng.random() < 0.7 else THIS_YEAR - rng.randrange(0, 3)
    for number in range(rng.randrange(6, 10) if long else rng.randrange(1, 4)):
        start = (end or THIS_YEAR) - rng.randrange(1, 5)
        bullets = [
            career.bullet() for _ in range(rng.randrange(3, 6) if long else rng.randrange(1, 4))
        ]
        jobs.append(
            Job(
                title=headline if number == 0 and rng.random() < 0.6 else career.designation(),
                company=career.company(),
                location=career.location(region=True) if omit != "LOCATION" else None,
                dates=career.dates(start, end),
                bullets=bullets,
            )
        )
        end = start - rng.randrange(0, 2)
    degrees = []
    year = (end or THIS_YEAR) - rng.randrange(0, 3)
    for _ in range(rng.randrange(1, 3) if omit != "EDUCATION" else 0):
        degrees.append(
            Degree(
                degree=career.degree(),
                institution=career.institution(),
                location=career.location(region=False) if rng.random() < 0.3 else None,
                year=year,
                dates=career.dates(year - rng.randrange(1, 5), year),
            )
        )
        year -= rng.randrange(2, 5)
    slug = ascii_slug(candidate.given + candidate.family) or "profile"
    links = [
        rng.choice(
            (
                f"linkedin.com/in/{slug}",
                f"https://www.linkedin.com/in/{slug}-{rng.randrange(100, 999)}",
                f"www.linkedin.com/in/{slug}",
            )
        )
    ]
    if career.profession.name in ("software", "design") or rng.random() < 0.15:
        links.append(
            rng.choice(
                (
                    f"github.com/{slug}",
                    f"https://{slug}.dev",
                    f"https://www.{fake.domain_name()}/portfolio",
                    f"behance.net/{slug}",
                )
            )
        )
    referees = []
    if rng.random() < 0.3:
        for _ in range(rng.randrange(1, 3)):
            referee = person(career.people, career.locale, rng)
            referees.append((referee, career.designation(), career.company()))
    return Resume(
        locale=career.locale,
        candidate=candidate,
        location=career.location() if omit != "LOCATION" else None,
        headline=headline,
        summary=career.summary()
        if omit != "EXPERIENCE"
        else career.fill(
            rng.choice(("{designation} · {skill} · {skill}", "{designation} – {skill}, {skill}"))  # noqa: RUF001
        ),
        jobs=jobs,
        degrees=degrees,
        skills=career.skills(rng.randrange(5, 16)),
        certifications=rng.sample(
            career.profession.certifications,
            min(len(career.profession.certifications), rng.randrange(0, 3)),
        ),
        spoken=rng.choice(career.language.spoken),
        interests=rng.sample(career.language.interests, rng.randrange(2, 5)),
        referees=referees,
        links=links,
        omit=omit,
        long=long,
    )
