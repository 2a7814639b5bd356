"""The catalog of scenarios (``fakeserver.scenarios.catalog``): its shape, names and selection."""

from __future__ import annotations

import os
import stat
from collections import Counter

from fakeserver import scenarios
from fakeserver.scenarios import AUTH_MODES, catalog, matrix

MATRIX = matrix()


#: The connect failures of the matrix, by name (fakeserver/scenarios/catalog.py ``_failures``).
FAILURE_NAMES = (
    "basic-no_credentials",
    "basic-wrong_password",
    "basic-unknown_user",
    "bearer-no_credentials",
    "bearer-unknown_token",
    "certificate-untrusted_client_certificate",
    "certificate-required_no_certificate",
    "certificate-unknown_user",
    "bearer-unknown_ca",
    "certificate-unknown_ca",
    "oauth2-wrong_password",
    "oauth2-wrong_client_secret",
    "oauth2-expired_token",
    "oauth2-unknown_ca",
)


def test_matrix_covers_every_cell_for_every_auth_mode() -> None:
    assert len(MATRIX) >= 150  # the bar
    assert AUTH_MODES == ("basic", "bearer", "certificate", "oauth2")
    assert len(MATRIX) == 64 * 4 + len(FAILURE_NAMES) == 270
    # the original matrix, before oauth2: the other three modes
    assert len(scenarios.select(MATRIX, auth=["basic", "bearer", "certificate"])) == 202
    assert [s.name for s in MATRIX if s.cell is None] == list(FAILURE_NAMES)
    assert all(s.expected_tier is None for s in MATRIX if s.cell is None)
    for mode in AUTH_MODES:
        cells = {s.cell for s in MATRIX if s.auth == mode and s.cell is not None}
        assert len(cells) == 64
    assert len({s.name for s in MATRIX}) == len(MATRIX), "names must be unique"
    assert all(s.name == s.name.strip() and " " not in s.name for s in MATRIX)


def test_matrix_is_stable_across_calls() -> None:
    assert [s.name for s in matrix()] == [s.name for s in MATRIX]
    assert matrix() == MATRIX


def test_every_tier_and_every_failure_kind_appears() -> None:
    tiers = Counter(s.expected_tier for s in MATRIX)
    assert set(tiers) == {*scenarios.TIERS, None}
    errors = {s.expected_error for s in MATRIX if s.expected_tier is None}
    assert errors == {"authentication", "tls"}
    names = {s.name for s in MATRIX}
    for required in (
        "basic-no_credentials",
        "basic-wrong_password",
        "bearer-unknown_token",
        "certificate-untrusted_client_certificate",
        "certificate-unknown_ca",
    ):
        assert required in names


def test_unsecured_cells_never_observe_admin() -> None:
    for s in MATRIX:
        if s.cell is not None and not s.cell.secured and s.expected_conditions is not None:
            assert s.expected_conditions["admin"] in (False, None)
            assert s.config.security is None


def test_unexposed_cells_report_unknown_conditions() -> None:
    for s in MATRIX:
        if s.cell is not None and not s.cell.exposed:
            assert s.expected_conditions is not None
            for key in ("secured", "admin", "same_python_api", "same_host"):
                assert s.expected_conditions[key] is None


def test_other_versions_differ_and_stay_valid() -> None:
    m = matrix("6.1.2", "0.9.2")
    versions = {s.config.server_version for s in m}
    assert versions == {"6.1.2", "6.1.3"}
    m = matrix("7.0.0-rc1", "1.0")
    assert {s.config.python_api_version for s in m} == {"1.0", "1.1"}


def test_select_filters_by_tier_and_auth() -> None:
    local_basic = scenarios.select(MATRIX, tiers=["LOCAL"], auth=["basic"])
    assert local_basic and all(
        s.expected_tier == "LOCAL" and s.auth == "basic" for s in local_basic
    )
    failures = scenarios.select(MATRIX, tiers=["FAILURE"])
    assert failures and all(s.expected_tier is None for s in failures)
    assert scenarios.select(MATRIX, tiers=["LOCAL"], auth=["nope"]) == []


def test_the_foreign_authority_writes_keys_private() -> None:
    foreign = catalog._foreign()
    cert, key = foreign.client_certificate("admin")
    modes = [stat.S_IMODE(os.stat(path).st_mode) for path in (key, cert, foreign.ca_path)]
    assert modes == [0o600, 0o644, 0o644]
