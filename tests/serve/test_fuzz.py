"""Schema-driven fuzzing of the running API (schemathesis): no request, valid or not, gets a 5xx,
and every answer matches the OpenAPI schema (status codes, content types, bodies).

The schema is loaded from the live server and its cases are drawn with Hypothesis directly
(``schema.as_strategy``): schemathesis's pytest fixture loader does not run under pytest 9.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

#: Cases per generation mode, spread over the API's five operations (a few ms each here).
MAX_EXAMPLES = 100
#: What the schema cannot express: a JSON body's size in bytes (413 for schema-valid texts full of
#: escaped characters), and that an uploaded file, any bytes to the schema, must be a readable
#: PDF, DOCX or text with some text in it (415/422). For the same reason a "wrongly typed" file
#: (a number sent as the file part) is still a file, a text file: rejecting invalid data is not
#: checked for uploads. Every other check runs as it ships, the absence of 5xx included.
CHECKS_CONFIG = {
    "checks": {
        "positive_data_acceptance": {"expected-statuses": ["2xx", "413"]},
        "negative_data_rejection": {
            "expected-statuses": ["400", "401", "403", "404", "405", "406", "413", "415", "422"]
        },
    },
    "operations": [
        {
            "include-path": "/v1/extract/file",
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ["2xx", "413", "415", "422"]},
                "negative_data_rejection": {"enabled": False},
            },
        }
    ],
}


@pytest.fixture(scope="module")
def api_schema(api_url: str):
    config = schemathesis.Config.from_dict(CHECKS_CONFIG)
    return schemathesis.openapi.from_url(f"{api_url}/openapi.json", config=config)


WITH_INPUT = {"POST /v1/extract", "POST /v1/extract/batch", "POST /v1/extract/file"}
OPERATIONS = {"GET /health", "GET /v1/model", *WITH_INPUT}


def test_the_fuzzed_schema_covers_every_operation(api_schema):
    labels = {result.ok().label for result in api_schema.get_all_operations()}

    assert labels == OPERATIONS


@pytest.mark.parametrize(
    ("mode", "reached"),
    [(GenerationMode.POSITIVE, OPERATIONS), (GenerationMode.NEGATIVE, WITH_INPUT)],
    ids=["valid", "invalid"],
)
def test_api_answers_generated_requests_by_its_schema_without_server_errors(
    api_schema, mode, reached
):
    seen: set[str] = set()

    @given(case=api_schema.as_strategy(mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def answers_by_the_schema(case) -> None:
        seen.add(case.operation.label)
        case.call_and_validate()

    answers_by_the_schema()

    assert seen == reached, "invalid requests exist only for operations that take input"
