"""The thin client's connect: paths from /versions/rest, typed failures, refusals."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

import fakeserver_client as client
from fakeserver import FakeServer, ServerConfig
from fakeserver_client import Capability, Conditions, Tier
from fakeserver_client._tiers import nearest_unmet

from .conftest import SECURITY

VERSIONS = "/versions/rest"


def versions_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "version": 1,
        "serverVersion": "6.1.2",
        "apis": {
            "activeviam/pivot": {"versions": [{"id": "9", "restPath": "/elsewhere/pivot"}]},
            "atoti": {"versions": [{"id": "1", "restPath": "/elsewhere/atoti"}]},
        },
    }
    body.update(changes)
    return body


def descriptor(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "serverVersion": "6.1.2",
        "pythonApiVersion": "0.9.2",
        "host": client.host_identity()._asdict(),
        "security": {"enabled": True},
        "user": {"name": "admin", "roles": ["ROLE_ADMIN", "ROLE_USER"]},
    }
    body.update(changes)
    return body


def test_paths_come_from_versions_rest(open_server: FakeServer) -> None:
    open_server.expect_request(VERSIONS).respond_with_json(versions_body())
    open_server.expect_request("/elsewhere/pivot/ping").respond_with_data("pong")
    open_server.expect_request("/elsewhere/atoti/session").respond_with_json(descriptor())
    with client.Session.connect(open_server.url) as session:
        assert session.tier is Tier.LOCAL
    paths = [request.path for request, _ in open_server.log]
    assert paths == [VERSIONS, "/elsewhere/pivot/ping", "/elsewhere/atoti/session"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (httpx.Response(404, json={"error": "no", "path": VERSIONS, "status": 404}), "not found"),
        (httpx.Response(200, text="<html>"), "did not answer JSON"),
        (httpx.Response(200, json=[1]), "JSON object"),
        (httpx.Response(200, json={"version": 1, "apis": {}}), "lacks serverVersion"),
        (httpx.Response(200, json={"version": 1, "serverVersion": 6, "apis": {}}), "malformed"),
        (httpx.Response(200, json=versions_body(apis={})), "no activeviam/pivot"),
        (
            httpx.Response(
                200,
                json=versions_body(
                    apis={"activeviam/pivot": {"versions": [{"id": "10", "restPath": "/p"}]}}
                ),
            ),
            "id in",
        ),
    ],
)
def test_bad_versions_are_protocol_errors(
    open_server: FakeServer, answer: httpx.Response, message: str
) -> None:
    open_server.expect_request(VERSIONS).respond_with_data(
        answer.content, status=answer.status_code, content_type=answer.headers.get("content-type")
    )
    with pytest.raises(client.ProtocolError, match=message):
        client.Session.connect(open_server.url)


def test_ping_must_say_pong(open_server: FakeServer) -> None:
    open_server.expect_request(VERSIONS).respond_with_json(versions_body())
    open_server.expect_request("/elsewhere/pivot/ping").respond_with_data("ok")
    with pytest.raises(client.ProtocolError, match="pong"):
        client.Session.connect(open_server.url)


def test_malformed_descriptor_is_a_protocol_error(open_server: FakeServer) -> None:
    open_server.expect_request(VERSIONS).respond_with_json(versions_body())
    open_server.expect_request("/elsewhere/pivot/ping").respond_with_data("pong")
    open_server.expect_request("/elsewhere/atoti/session").respond_with_json(descriptor(user=3))
    with pytest.raises(client.ProtocolError, match="descriptor"):
        client.Session.connect(open_server.url)


def test_unreachable_target() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connection refused
        with pytest.raises(client.ConnectFailedError, match="cannot reach"):
            client.Session.connect(f"http://127.0.0.1:{port}", timeout=2)


def test_authentication_errors_carry_the_message_and_are_not_retried(
    secured_server: FakeServer,
) -> None:
    with pytest.raises(client.AuthenticationError) as caught:
        client.Session.connect(
            secured_server.url, authentication=client.BasicAuthentication("admin", "wrong")
        )
    assert caught.value.status == 401 and caught.value.message == "Bad credentials"
    assert isinstance(caught.value, client.ConnectFailedError)
    pings = [r for r, _ in secured_server.log if r.path.endswith("/ping")]
    assert len(pings) == 1
    assert all(
        r.headers.get("Authorization", "").startswith("Basic ") for r, _ in secured_server.log
    )


def test_credentials_are_never_printed() -> None:
    assert "secret" not in repr(client.BasicAuthentication("u", "secret"))
    assert "secret" not in repr(client.TokenAuthentication("secret"))


def test_same_client_runs_in_process(secured_server: FakeServer) -> None:
    transport = httpx.WSGITransport(app=secured_server.wsgi_app)
    with client.Session.connect(
        "http://fake",
        authentication=client.TokenAuthentication("admin-token"),
        transport=transport,
    ) as session:
        assert session.tier is Tier.LOCAL
        session.ping()


def test_versions_the_client_expects_are_parameters() -> None:
    config = ServerConfig(security=SECURITY, server_version="6.1.3", python_api_version="0.9.3")
    with FakeServer(config) as server:
        auth = client.BasicAuthentication("admin", "admin-pass")
        with client.Session.connect(server.url, authentication=auth) as session:
            assert session.tier is Tier.MINIMAL
            assert session.conditions.same_server_version is False
        with client.Session.connect(
            server.url, authentication=auth, server_version="6.1.3", python_api_version="0.9.3"
        ) as session:
            assert session.tier is Tier.LOCAL


def test_refusal_names_capability_tier_and_unmet_conditions(secured_server: FakeServer) -> None:
    auth = client.BasicAuthentication("user", "user-pass")
    with client.Session.connect(secured_server.url, authentication=auth) as session:
        assert session.tier is Tier.READ_ONLY
        before = len(secured_server.log)
        with pytest.raises(client.LiveExtensionUnavailableError) as caught:
            session._require(Capability.CREATE_TABLE)
        assert str(caught.value) == (
            "create_table is not available: this session is READ_ONLY because "
            "admin (b): the credentials do not grant ROLE_ADMIN"
        )
        assert isinstance(caught.value, RuntimeError)
        assert len(secured_server.log) == before, "a refusal sends nothing"


def test_refusal_of_read_capabilities_is_not_a_live_extension_error() -> None:
    with FakeServer(ServerConfig(server_version="6.0.0", exposed=False)) as server:
        with client.Session.connect(server.url) as session:
            assert session.tier is Tier.MINIMAL
            assert session.conditions.secured is None
            with pytest.raises(client.CapabilityUnavailableError) as caught:
                session._require(Capability.TABLES_SCHEMA)
            assert not isinstance(caught.value, client.LiveExtensionUnavailableError)
            assert "same_server_version (e): the target runs Atoti Server 6.0.0, not 6.1.2" in str(
                caught.value
            )
            with pytest.raises(
                client.LiveExtensionUnavailableError, match=r"secured \(a\): unknown"
            ):
                session._require(Capability.SECURITY)


def test_nearest_unmet_prefers_fewest_changes() -> None:
    remote = Conditions(True, True, True, False, True, True)
    assert nearest_unmet(Capability.LOAD_FILE, remote) == (Tier.LOCAL, ("same_host",))
    nothing = Conditions(False, False, False, False, False, False)
    assert nearest_unmet(Capability.TABLE_QUERY, nothing) == (
        Tier.READ_ONLY,
        ("same_server_version",),
    )
    tier, keys = nearest_unmet(Capability.SECURITY, nothing)
    assert tier is Tier.REMOTE and keys == ("secured", "admin", "same_python_api")


def test_members_of_the_starting_process_are_refused(open_server: FakeServer) -> None:
    with client.Session.connect(open_server.url) as session:
        for member in ("endpoint", "logs_path"):
            with pytest.raises(client.ClientError, match="process that started"):
                getattr(session, member)
        with pytest.raises(client.ClientError, match="process that started"):
            session.wait()
        assert session.link == open_server.url
        assert repr(session).endswith("READ_ONLY>")


def test_session_cannot_be_built_directly() -> None:
    with pytest.raises(TypeError, match="connect"):
        client.Session()


def test_a_dropped_request_is_a_clear_error_not_a_hang() -> None:
    from fakeserver.config import Fault

    config = ServerConfig(faults=(Fault("drop", path="*/ping", times=1),))
    with FakeServer(config) as server:
        with pytest.raises(
            client.ConnectFailedError, match="closed the connection without answering GET"
        ):
            client.Session.connect(server.url, timeout=5)
        with client.Session.connect(server.url) as session:  # the fault fired once
            assert session.tier is Tier.READ_ONLY


def test_a_dropped_request_over_https_after_the_handshake_is_not_a_tls_error() -> None:
    from fakeserver import TlsConfig
    from fakeserver.config import Fault

    config = ServerConfig(tls=TlsConfig(), faults=(Fault("drop", path="*/ping"),))
    with FakeServer(config) as server:
        with pytest.raises(client.ConnectFailedError) as caught:
            client.Session.connect(server.url, certificate_authority=server.ca_path)
        assert not isinstance(caught.value, client.TlsError)
        assert "without answering GET" in str(caught.value)


def test_timeouts_are_finite_and_configurable() -> None:
    from fakeserver.config import Fault

    config = ServerConfig(faults=(Fault("latency", path="/versions/rest", delay=30),))
    with FakeServer(config) as server:
        with pytest.raises(client.TimeoutError, match=r"within 0.3 s"):
            client.Session.connect(server.url, timeout=0.3)
    assert client.Session.connect.__kwdefaults__["timeout"] == 10.0


def test_non_json_error_bodies_still_give_a_message(open_server: FakeServer) -> None:
    open_server.expect_request("/versions/rest").respond_with_data("upstream exploded", status=502)
    with pytest.raises(client.ServerError) as caught:
        client.Session.connect(open_server.url)
    assert caught.value.status == 502 and caught.value.message == "upstream exploded"


def test_the_readme_example_of_the_tiers_runs(capsys: pytest.CaptureFixture[str]) -> None:
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The six conditions and the five tiers", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "same_host=False" in out
    assert "load.file is not available: this session is REMOTE because same_host (d)" in out


@pytest.mark.parametrize(
    "answer",
    [
        "not json",
        descriptor(host={"id": "x"}),
        descriptor(user={"name": "admin", "roles": [1, 2]}),
        descriptor(security={"enabled": "yes"}),
        descriptor(pythonApiVersion=None),
    ],
    ids=["not_json", "no_host_name", "roles_not_strings", "enabled_not_bool", "no_version"],
)
def test_every_malformed_descriptor_is_a_protocol_error(
    open_server: FakeServer, answer: Any
) -> None:
    open_server.expect_request(VERSIONS).respond_with_json(versions_body())
    open_server.expect_request("/elsewhere/pivot/ping").respond_with_data("pong")
    if isinstance(answer, str):
        open_server.expect_request("/elsewhere/atoti/session").respond_with_data(answer)
    else:
        open_server.expect_request("/elsewhere/atoti/session").respond_with_json(answer)
    with pytest.raises(client.ProtocolError, match="descriptor"):
        client.Session.connect(open_server.url)


def test_client_timeout_is_also_the_builtin() -> None:
    import builtins

    assert issubclass(client.TimeoutError, builtins.TimeoutError)
    assert issubclass(client.TimeoutError, client.ConnectFailedError)


def test_an_upper_case_https_scheme_still_uses_the_ca(mtls_server: FakeServer) -> None:
    url = mtls_server.url.replace("https://", "HTTPS://")
    with client.Session.connect(
        url,
        certificate_authority=mtls_server.ca_path,
        authentication=client.ClientCertificate(*mtls_server.client_certificate("admin")),
    ) as session:
        assert session.user == "admin"


@pytest.mark.parametrize("suffix", ["?x=1", "#frag"])
def test_urls_with_a_query_or_fragment_are_refused(open_server: FakeServer, suffix: str) -> None:
    with pytest.raises(client.ClientError, match="without query or fragment"):
        client.Session.connect(open_server.url + "/" + suffix)
    with pytest.raises(client.ClientError, match="http"):
        client.Session.connect("ftp://127.0.0.1:1")


def test_ambient_proxies_are_ignored_unless_asked_for(
    open_server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy nobody listens on: honouring it would make the connect fail.
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{unused.getsockname()[1]}"
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("NO_PROXY", "")
        with client.Session.connect(open_server.url) as session:
            assert session.tier is Tier.READ_ONLY
        with pytest.raises(client.ConnectFailedError):
            client.Session.connect(open_server.url, trust_env=True, timeout=2)
