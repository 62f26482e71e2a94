"""Schemathesis fuzzes every route from the OpenAPI spec: no input may cause a 5xx, and every
response (errors included) must match the schema the spec declares."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from automl.jobs import JobSpec
from automl.service import Settings, create_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

EXAMPLES = int(os.environ.get("AUTOML_FUZZ_EXAMPLES", "25"))
"""Examples per route; set AUTOML_FUZZ_EXAMPLES=500 for a deeper run."""

# Built at import: schemathesis collects one test per route from the app's spec.
HOME = Path(tempfile.mkdtemp(prefix="automl-fuzz-"))
APP = create_app(Settings(home=HOME, database_url=f"sqlite:///{HOME / 'jobs.db'}", max_upload_mb=1))
TOKEN = APP.state.store.create_token("fuzzer")
_user = APP.state.store.user_for_token(TOKEN)
APP.state.store.submit(_user.id, "dataset", JobSpec(target="y", n_trials=1))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.auth()
class BearerToken:
    """Schemathesis sends the token as the API's security scheme, so its negative cases know
    which requests are meant to lack it."""

    def get(self, case: schemathesis.Case, context: object) -> str:
        return TOKEN

    def set(self, case: schemathesis.Case, data: str, context: object) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_causes_a_server_error_or_breaks_the_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
