"""Pattern recognizers on the served path: the merge rule, every e-mail and phone number of the
synthetic test split found, and e-mail addresses, URLs and phone numbers never split."""

from __future__ import annotations

import re
import shutil
import string
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resume_ner.cli.serve import load_model
from resume_ner.cli.state import CliState
from resume_ner.config.conversion import ConversionConfig, RecognizerConfig, load_conversion_config
from resume_ner.config.data import DataConfig
from resume_ner.config.errors import ConfigError
from resume_ner.config.serve import ServeConfig
from resume_ner.data.corpus import load_corpus
from resume_ner.data.splits import split_as_configured
from resume_ner.serve.bundle import read_manifest, write_manifest
from resume_ner.serve.engine import Entity, InferenceEngine, merge_patterns
from resume_ner.serve.recognizers import PatternRecognizers, find_phones
from resume_ner.serve.source import ModelSource

LABELS = frozenset({"NAME", "EMAIL", "PHONE", "LOCATION", "SKILL"})


def _entity(text: str, start: int, end: int, label: str, score: float = 0.5) -> Entity:
    return Entity(start, end, label, text[start:end], score)


def _spans(entities: list[Entity]) -> list[tuple[str, str]]:
    return [(e.label, e.text) for e in entities]


# -- the merge rule, on hand-made overlapping spans --------------------------------------------


def test_an_email_cut_into_pieces_by_the_model_becomes_one_pattern_entity():
    text = "Mail: jane.doe@example.com today"
    start = text.index("jane")
    pieces = [
        _entity(text, start, start + 8, "EMAIL"),
        _entity(text, start + 9, start + 16, "EMAIL"),
        _entity(text, start + 16, start + 20, "EMAIL"),
    ]
    merged = merge_patterns(text, pieces, PatternRecognizers(LABELS))
    assert _spans(merged) == [("EMAIL", "jane.doe@example.com")]
    assert merged[0].score == 1.0


def test_a_model_span_of_another_label_overlapping_a_pattern_is_dropped():
    text = "Jane Doe +44 20 7946 0123 London"
    phone = text.index("+44")
    model = [
        _entity(text, 0, 8, "NAME"),
        _entity(text, phone + 4, phone + 11, "LOCATION"),  # inside the number
        _entity(text, text.index("London"), len(text), "LOCATION"),
    ]
    merged = merge_patterns(text, model, PatternRecognizers(LABELS))
    assert _spans(merged) == [
        ("NAME", "Jane Doe"),
        ("PHONE", "+44 20 7946 0123"),
        ("LOCATION", "London"),
    ]


def test_a_span_crossing_a_pattern_boundary_is_dropped_not_cut():
    text = "Berlin jane@example.org"
    model = [_entity(text, 0, 11, "LOCATION")]  # "Berlin jane"
    merged = merge_patterns(text, model, PatternRecognizers(LABELS))
    assert _spans(merged) == [("EMAIL", "jane@example.org")]


def test_unconfirmed_email_spans_are_dropped_and_phone_spans_kept_only_with_enough_digits():
    text = "contact jane at home, 12 34, call 0301 22 33 44 5"
    model = [
        _entity(text, 8, 12, "EMAIL"),  # "jane": no address there
        _entity(text, text.index("12"), text.index("12") + 5, "PHONE"),  # "12 34": 4 digits
    ]
    recognizers = PatternRecognizers(LABELS, phone_regions=())
    merged = merge_patterns(text, model, recognizers)
    assert _spans(merged) == []

    long_number = text.index("0301")
    model = [_entity(text, long_number, len(text), "PHONE")]
    assert _spans(merge_patterns(text, model, recognizers)) == [("PHONE", "0301 22 33 44 5")]


def test_a_url_is_a_shield_when_the_model_has_no_url_label():
    text = "Profile: https://www.linkedin.com/in/jane-doe-berlin/ and more"
    url = text.index("https")
    model = [
        _entity(text, url + 28, url + 35, "NAME"),
        _entity(text, url + 41, url + 47, "LOCATION"),
    ]
    merged = merge_patterns(text, model, PatternRecognizers(LABELS))
    assert merged == []

    with_url = merge_patterns(text, model, PatternRecognizers(LABELS | {"URL"}))
    assert _spans(with_url) == [("URL", "https://www.linkedin.com/in/jane-doe-berlin/")]


def test_an_email_pattern_never_matches_inside_a_url():
    text = "see https://medium.com/@jane.doe/posts or jane@example.com."
    patterns = PatternRecognizers(LABELS).find(text)
    assert [(p.label, text[p.start : p.end]) for p in patterns] == [
        ("URL", "https://medium.com/@jane.doe/posts"),
        ("EMAIL", "jane@example.com"),
    ]


def test_date_ranges_and_years_are_not_phone_numbers():
    text = "Acme 2015 - 2019; 03/2019 – 05/2021; (01/2003 – 07/2007); since 2011; 12 people"  # noqa: RUF001
    assert find_phones(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Rua Itapecerica, 1432 – Belo Horizonte/MG – CEP 30710-580",  # noqa: RUF001
        "Centre for Population Health Research, P.O. Box 40100-00100, Nairobi",
        "Geólogo Senior RUT: 15.555.321-4",
        "Date of Birth   : 14-03-1990",
        "CNIC            : 35202-5550117-3",
        "P.Eng., Engineers and Geoscientists BC (EGBC) - PMP #1489223",
        "born 1990-03-14 in Lahore",
    ],
)
def test_postcodes_identity_numbers_and_dates_of_birth_are_not_phone_numbers(text):
    assert find_phones(text) == []


def test_a_phone_number_span_has_no_surrounding_space_and_keeps_its_opening_bracket():
    text = "Phone: (+84) 912 555 307\nMobile: 0917 555 3826 / (046) 555-2290"
    assert [text[p.start : p.end] for p in find_phones(text, ("PH",))] == [
        "(+84) 912 555 307",
        "0917 555 3826",
        "(046) 555-2290",
    ]


def test_referees_addresses_and_numbers_are_no_entities_and_shield_their_text():
    text = (
        "Maricel Dela Cruz\nmaricel@example.ph | 0917 555 3826\n\n"
        "CHARACTER REFERENCES\n"
        "Ms. Rowena Santos – Operations Manager – 0918 555 4410\n"  # noqa: RUF001
        "Mr. Jerome Lacson – jerome.lacson@vcsi.com.ph\n"  # noqa: RUF001
    )
    referee = text.index("jerome.lacson")
    model = [_entity(text, referee, referee + 6, "NAME")]

    merged = merge_patterns(text, model, PatternRecognizers(LABELS))

    assert _spans(merged) == [("EMAIL", "maricel@example.ph"), ("PHONE", "0917 555 3826")]


# -- the served path ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(bundle_dir) -> InferenceEngine:
    return InferenceEngine.load(bundle_dir)


def test_recognizers_are_on_by_default_and_the_bundle_or_caller_switches_them_off(
    bundle_dir, tmp_path
):
    assert ConversionConfig().recognizers.enabled
    assert read_manifest(bundle_dir).recognizers["enabled"] is True
    assert InferenceEngine.load(bundle_dir).recognizers is not None
    assert InferenceEngine.load(bundle_dir, recognizers=False).recognizers is None

    copy = tmp_path / "bundle"
    shutil.copytree(bundle_dir, copy)
    manifest = read_manifest(copy)
    write_manifest(
        copy, replace(manifest, recognizers=RecognizerConfig(enabled=False).model_dump())
    )
    assert InferenceEngine.load(copy).recognizers is None
    assert InferenceEngine.load(copy, recognizers=True).recognizers is not None


def test_serve_yaml_switches_the_recognizers_of_the_served_model(bundle_dir, tmp_path: Path):
    state = CliState(root=tmp_path, config_dir=None)
    source = ModelSource(bundle_dir=bundle_dir)
    assert load_model(state, ServeConfig(), source).engine.recognizers is not None
    assert load_model(state, ServeConfig(recognizers=False), source).engine.recognizers is None


def test_a_phone_region_that_is_no_region_code_is_a_config_error(tmp_path: Path):
    (tmp_path / "conversion.yaml").write_text("recognizers: {phone_regions: [usa]}\n")
    with pytest.raises(ConfigError) as caught:
        load_conversion_config(tmp_path)
    assert caught.value.key == "recognizers.phone_regions"


def test_every_email_and_phone_of_the_synthetic_test_split_is_found(engine):
    config = DataConfig()
    test = split_as_configured(load_corpus(config), config.split)["test"]
    found = engine.extract([document.text for document in test])

    for label in ("EMAIL", "PHONE"):
        gold = {
            (i, s.start, s.end) for i, d in enumerate(test) for s in d.spans if s.label == label
        }
        predicted = {
            (i, e.start, e.end) for i, es in enumerate(found) for e in es if e.label == label
        }
        assert gold, label
        assert gold <= predicted, f"{label} recall {len(gold & predicted) / len(gold):.3f}"


def test_the_rest_api_returns_pattern_entities(client: httpx.Client):
    assert client.get("/v1/model").json()["recognizers"] is True
    text = "Jane Doe\njane.doe@example.com | +49 30 12345678\n"
    entities = client.post("/v1/extract", json={"text": text}).json()["entities"]
    found = {(e["label"], e["text"]) for e in entities}
    assert {("EMAIL", "jane.doe@example.com"), ("PHONE", "+49 30 12345678")} <= found


# -- never split: generated and hand-written shapes --------------------------------------------

_LOCAL = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=10)
_EMAILS = st.builds(
    lambda parts, sep, domain, tld: f"{sep.join(parts)}@{domain}.{tld}",
    st.lists(_LOCAL, min_size=1, max_size=3),
    st.sampled_from([".", "_", "-", "+"]),
    st.text(string.ascii_lowercase, min_size=2, max_size=12),
    st.sampled_from(["com", "org", "de", "co.uk", "io", "example", "fr"]),
)
_URLS = st.builds(
    lambda scheme, host, path: f"{scheme}{host}.com/{'/'.join(path)}",
    st.sampled_from(["https://", "http://", "https://www.", "www.", ""]),
    st.text(string.ascii_lowercase, min_size=3, max_size=10),
    st.lists(
        st.text(string.ascii_lowercase + "-_", min_size=1, max_size=12), min_size=1, max_size=3
    ),
)
_PHONE_REGIONS = (
    "US",
    "GB",
    "DE",
    "FR",
    "IN",
    "JP",
    "BR",
    "ES",
    "NG",
    "AU",
    "IT",
    "NL",
    "CH",
    "MX",
)


def _phone(region: str, seed: int, style: str) -> str:
    """An international number of ``region`` shaped like its example number, other digits."""
    import phonenumbers

    example = phonenumbers.example_number_for_type(
        region, phonenumbers.PhoneNumberType.MOBILE
    ) or phonenumbers.example_number(region)
    national = str(example.national_number)
    digits = national[:2] + str(seed).zfill(len(national))[-(len(national) - 2) :]
    number = phonenumbers.parse(f"+{example.country_code}{digits}")
    if style == "e164":
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return formatted.replace(" ", style) if style != "international" else formatted


_PHONES = st.builds(
    _phone,
    st.sampled_from(_PHONE_REGIONS),
    st.integers(0, 10**12),
    st.sampled_from(["international", "e164", "-", "."]),
)
_CONTEXTS = st.sampled_from(
    [
        "Jane Doe\n{item}\nBerlin, Germany",
        "Contact: {item} | Senior Data Engineer",
        "Email me at {item}, I reply fast.",
        "{item}",
        "Name: Raj Patel\nPhone: {item}\nLocation: Pune",
        "- {item}\n- Python, SQL",
    ]
)
HAND_WRITTEN = [
    ("EMAIL", "maria.garcia-lopez@correo.example.es"),
    ("EMAIL", "j.o'neil@example.com".replace("'", "")),
    ("EMAIL", "first+resume@sub.mail.example.co.uk"),
    ("EMAIL", "zoë.müller@post.test"),
    ("EMAIL", "x@y.io"),
    ("URL", "https://www.linkedin.com/in/jane-doe-12345678/"),
    ("URL", "linkedin.com/in/rajpatel"),
    ("URL", "github.com/jane-doe/resume-ner"),
    ("URL", "https://example.com/path?query=1&b=two#frag"),
    ("URL", "http://portfolio.example.org/~jane/index.html"),
    ("PHONE", "+1 (415) 555-0132"),
    ("PHONE", "+44 (0)20 7946 0958"),
    ("PHONE", "+49 176 12345678"),
    ("PHONE", "+33 6 12 34 56 78"),
    ("PHONE", "+91-98765-43210"),
    ("PHONE", "+81 90 1234 5678"),
    ("PHONE", "+234 (0) 803 123 4567"),
    ("PHONE", "+55 11 91234-5678"),
    ("PHONE", "+61 2 9374 4000"),
]


def _assert_not_split(engine: InferenceEngine, context: str, label: str, item: str) -> None:
    text = context.format(item=item)
    start = text.index(item)
    end = start + len(item)
    (entities,) = engine.extract([text])
    touching = [e for e in entities if e.start < end and start < e.end]
    if label == "URL":
        assert touching == [], f"{item!r} in {text!r}: {touching}"
    else:
        assert [(e.start, e.end, e.label) for e in touching] == [(start, end, label)], (
            f"{item!r} in {text!r}: {touching}"
        )


@pytest.mark.parametrize(("label", "item"), HAND_WRITTEN)
def test_hand_written_shapes_are_one_entity_or_none(engine, label, item):
    for context in ("{item}", "Contact: {item} | Berlin", "Jane Doe\n{item}\nSkills: Python"):
        _assert_not_split(engine, context, label, item)


_SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(item=_EMAILS, context=_CONTEXTS)
def test_generated_emails_are_never_split(engine, item, context):
    _assert_not_split(engine, context, "EMAIL", item)


@_SETTINGS
@given(item=_URLS, context=_CONTEXTS)
def test_generated_urls_are_never_split(engine, item, context):
    _assert_not_split(engine, context, "URL", item)


@_SETTINGS
@given(item=_PHONES, context=_CONTEXTS)
def test_generated_international_phone_numbers_are_never_split(engine, item, context):
    _assert_not_split(engine, context, "PHONE", item)


def test_a_phone_number_inside_a_run_longer_than_a_window_is_still_found():
    text = "1 " + "- " * 30 + "+44 20 7946 0958" + " -" * 30 + " 1"
    assert re.fullmatch(r"[\d \-+]+", text) and len(text) > 100, "one run of the pattern"

    (span,) = find_phones(text)

    assert text[span.start : span.end] == "+44 20 7946 0958"


def test_the_phone_matcher_sees_a_bounded_number_of_bounded_pieces_of_a_long_run():
    text = ("555-0132 " * 3_334)[:30_000]

    spans = find_phones(text)

    # 32 windows of 48 characters, 24 apart: nothing past them is looked at.
    assert spans and max(span.end for span in spans) <= 31 * 24 + 48
