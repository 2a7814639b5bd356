"""The config package (``fakeserver.config``): the names it exported before it was split."""

from __future__ import annotations

import fakeserver
import fakeserver.config
from fakeserver.config import files, parts, target


def test_the_public_names_are_unchanged() -> None:
    assert fakeserver.config.__all__ == [
        "DEFAULT_PYTHON_API_VERSION",
        "DEFAULT_SERVER_VERSION",
        "CubeSpec",
        "Fault",
        "OidcConfig",
        "SecurityConfig",
        "ServerConfig",
        "TableSpec",
        "TlsConfig",
        "User",
    ]
    missing = [n for n in fakeserver.config.__all__ if not hasattr(fakeserver.config, n)]
    assert missing == []
    assert fakeserver.ServerConfig is fakeserver.config.ServerConfig is target.ServerConfig


def test_the_names_other_modules_import_stay_here() -> None:
    for name in ("DEFAULT_OIDC_CLIENTS", "TOKEN68", "ClientCertificateMode", "FaultKind"):
        assert getattr(fakeserver.config, name) is getattr(parts, name)


def test_loading_stays_a_classmethod_of_the_config() -> None:
    config = fakeserver.config.ServerConfig(seed=3)
    assert fakeserver.config.ServerConfig.from_mapping(files.plain(config)) == config
    assert config.to_mapping() == files.plain(config)
