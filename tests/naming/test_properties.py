"""Property-based tests: tag sanitising against a real MLflow store, and key hashing."""

from __future__ import annotations

import math
import random
import shutil

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from resume_ner.naming.canonical import hash_payload, normalize_float
from resume_ner.naming.keys import build_hpo_trial_key, build_hpo_trial_key_hash
from resume_ner.naming.tags import sanitize_tag_value

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(max_size=20),
)
PAYLOADS = st.recursive(
    JSON_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=4),
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def tag_run(tmp_path_factory, template_mlflow_db):
    from mlflow.tracking import MlflowClient

    db = tmp_path_factory.mktemp("tags") / "mlflow.db"
    shutil.copyfile(template_mlflow_db, db)
    client = MlflowClient(f"sqlite:///{db}")
    experiment = client.create_experiment("tags", artifact_location=(db.parent / "a").as_uri())
    return client, client.create_run(experiment).info.run_id


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.one_of(
        st.text(), st.integers(), st.floats(), st.binary().map(lambda b: b.decode("latin-1"))
    )
)
def test_every_sanitized_tag_value_is_stored_and_read_back_unchanged(tag_run, value):
    client, run_id = tag_run
    sanitized = sanitize_tag_value(value, max_length=250)
    assert len(sanitized) <= 250
    client.set_tag(run_id, "code.property", sanitized)
    assert client.get_run(run_id).data.tags["code.property"] == sanitized


@given(value=st.text(min_size=251))
def test_long_values_are_cut_and_marked(value):
    sanitized = sanitize_tag_value(value, max_length=250)
    assume(len(sanitized) > 0)
    assert len(sanitized) <= 250


def _shuffled(payload):
    if isinstance(payload, dict):
        items = list(payload.items())
        random.Random(len(items)).shuffle(items)
        return {key: _shuffled(value) for key, value in items}
    if isinstance(payload, list):
        return [_shuffled(item) for item in payload]
    return payload


@given(payload=PAYLOADS)
def test_hash_ignores_mapping_order(payload):
    assert hash_payload(payload) == hash_payload(_shuffled(payload))


@given(
    value=st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).filter(
        lambda v: v == 0 or abs(v) > 1e-200
    ),
    noise=st.floats(min_value=-1e-14, max_value=1e-14),
)
def test_hash_ignores_float_noise_below_twelve_significant_digits(value, noise):
    canonical = float(normalize_float(value))
    noisy = canonical * (1 + noise)
    assert hash_payload({"lr": canonical}) == hash_payload({"lr": noisy})


@given(
    value=st.floats(min_value=1e-8, max_value=1e8),
    relative_change=st.floats(min_value=1e-9, max_value=0.5),
)
def test_hash_changes_when_a_float_really_changes(value, relative_change):
    changed = value * (1 + relative_change)
    assume(normalize_float(changed) != normalize_float(value))
    assert hash_payload({"lr": value}) != hash_payload({"lr": changed})


@given(
    params=st.dictionaries(
        st.sampled_from(["lr", "batch_size", "dropout", "warmup"]), JSON_SCALARS, min_size=1
    ),
    name=st.sampled_from(["lr", "batch_size", "dropout", "warmup"]),
    replacement=st.integers(min_value=10**13, max_value=10**14),
)
def test_trial_key_changes_when_a_hyperparameter_changes(params, name, replacement):
    study = "f" * 64
    changed = {**params, name: replacement}
    assume(params.get(name) != replacement)
    assert build_hpo_trial_key_hash(build_hpo_trial_key(study, params)) != build_hpo_trial_key_hash(
        build_hpo_trial_key(study, changed)
    )


def test_nan_and_infinity_hash_as_their_names():
    assert hash_payload({"x": math.nan}) == hash_payload({"x": float("nan")})
    assert hash_payload({"x": math.inf}) != hash_payload({"x": -math.inf})
