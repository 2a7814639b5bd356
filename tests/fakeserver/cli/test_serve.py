"""``fakeserver serve``, run for real in a subprocess (as werkzeug tests its dev server).

Every served target uses ``--port 0`` and ``--ready-file``; timeouts are generous and only
keep a broken build from hanging the run: nothing here asserts on durations.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

import fakeserver_client as client
from fakeserver import cli
from fakeserver.cli import serve as serve_module

from .command import TIMEOUT, assert_one_line_error, fakeserver, in_process, serve


def test_serve_default_is_a_secured_demo_and_stops_on_sigterm(tmp_path: Path) -> None:
    stale = tmp_path / "ready.json"
    stale.write_text("{not json from an earlier run")
    with serve(tmp_path) as served:
        assert served.ready["ca"] is None
        assert served.ready["issuer"] is None
        assert served.url.startswith("http://127.0.0.1:")
        versions = httpx.get(served.url + "/versions/rest").json()
        assert versions["serverVersion"] == "6.1.2"
        assert "atoti" in versions["apis"]
        assert httpx.get(served.url + "/activeviam/pivot/rest/v9/ping").status_code == 401
        admin = client.BasicAuthentication("admin", "passwd")
        with client.Session.connect(served.url, authentication=admin) as session:
            assert session.tier is client.Tier.LOCAL
        user = client.BasicAuthentication("user", "passwd")
        with client.Session.connect(served.url, authentication=user) as session:
            assert session.tier is client.Tier.READ_ONLY
        with client.Session.connect(
            served.url, authentication=client.TokenAuthentication("t0ken")
        ) as session:
            assert session.conditions.admin is True
        assert_demo_data(served.url)
        assert served.stop(signal.SIGTERM) == 0
    summary = served.stdout
    assert served.url in summary
    for fragment in (
        "6.1.2",
        "0.9.2",
        "exposed   yes",
        "admin",
        "ROLE_ADMIN",
        "'passwd' (demo)",
        "trades",
        "products",
        "Trades",
        client.host_identity().id,
        "local",
    ):
        assert fragment in summary, fragment
    assert "SIGTERM" in summary
    assert "Traceback" not in served.stderr
    assert not served.ready_file.exists(), "the ready file goes away with the server"


def assert_demo_data(url: str) -> None:
    """The demo's faker tables and cube, as the real client reads them (SPEC §4.4)."""
    pivot = url + "/activeviam/pivot/rest/v9"
    with httpx.Client(auth=("user", "passwd")) as http:
        tables = http.get(pivot + "/database/discovery").json()["tables"]
        assert {"trades", "products"} <= {t["name"] for t in tables}
        body: dict[str, Any] = {
            "branch": None,
            "conditions": {},
            "fields": ["trade_id", "desk"],
            "timeout": 1000,
        }
        answer = http.post(pivot + "/database/data/tables/trades?pageSize=5", json=body).json()
        assert [h["name"] for h in answer["headers"]] == ["trade_id", "desk"]
        assert answer["rows"] and all(len(row) == 2 for row in answer["rows"])
        catalogs = http.get(pivot + "/cube/discovery").json()["catalogs"]
        assert "Trades" in {c["name"] for catalog in catalogs for c in catalog["cubes"]}


def test_sigint_stops_cleanly_and_removes_the_temporary_cert_dir(tmp_path: Path) -> None:
    with serve(tmp_path, "--unsecured", "--tls") as served:
        ca = Path(served.ready["ca"])
        assert ca.exists() and served.ready["client_certificates"] == {}
        context = ssl.create_default_context(cafile=str(ca))
        response = httpx.get(served.url + "/activeviam/pivot/rest/v9/ping", verify=context)
        assert response.text == "pong"
        assert served.stop(signal.SIGINT) == 0
    assert "SIGINT" in served.stdout
    assert served.stderr == "", "quiet without -v"
    assert not ca.parent.exists(), "the default cert dir is temporary"


def test_flags_shape_the_target_and_hide_non_demo_secrets(tmp_path: Path) -> None:
    args = [
        "--server-version",
        "6.1.3",
        "--python-api-version",
        "0.9.1",
        "--remote-host",
        "--seed",
        "7",
        "--user",
        "alice:s3:cret:ADMIN",
        "--user",
        "bob:hunter2",
        "--token",
        "alice-token:alice",
    ]
    with serve(tmp_path, *args) as served:
        assert httpx.get(served.url + "/versions/rest").json()["serverVersion"] == "6.1.3"
        alice = client.BasicAuthentication("alice", "s3:cret")
        with client.Session.connect(served.url, authentication=alice) as session:
            conditions = session.conditions
            assert (conditions.secured, conditions.admin) == (True, True)
            assert (conditions.same_python_api, conditions.same_host) == (False, False)
            assert conditions.same_server_version is False
            assert session.tier is client.Tier.MINIMAL
        token = client.TokenAuthentication("alice-token")
        with client.Session.connect(served.url, authentication=token) as session:
            assert session.conditions.admin is True
        bob = client.BasicAuthentication("bob", "hunter2")
        with client.Session.connect(served.url, authentication=bob) as session:
            assert session.conditions.admin is False
        with pytest.raises(client.AuthenticationError):  # the demo users are gone
            client.Session.connect(
                served.url, authentication=client.BasicAuthentication("admin", "passwd")
            )
        assert served.stop() == 0
    summary = served.stdout
    assert "remote" in summary and client.host_identity().id not in summary
    assert "alice" in summary and "bob" in summary and "password not shown" in summary
    for secret in ("s3:cret", "hunter2", "alice-token", "'passwd'"):
        assert secret not in summary


def test_oidc_announces_the_issuer_and_its_curl_line_gets_a_token(tmp_path: Path) -> None:
    with serve(tmp_path, "--tls", "--oidc") as served:
        ca = served.ready["ca"]
        issuer = served.url + "/oidc"
        assert served.ready["issuer"] == issuer
        out = served.stdout
        assert f"oidc      issuer {issuer} (password grant, ES256 JWTs)" in out
        assert f"discovery {issuer}/.well-known/openid-configuration" in out
        assert "client 'fakeserver', secret 'fakeserver-secret' (demo)" in out
        [curl] = [
            line.strip()
            for line in out.splitlines()
            if line.strip().startswith("curl") and "/oidc/token" in line
        ]
        assert curl == (
            f"curl --cacert {ca} -u fakeserver:fakeserver-secret -d grant_type=password "
            f"-d username=admin -d password=passwd {issuer}/token"
        )
        # what that line sends, sent with httpx
        context = ssl.create_default_context(cafile=ca)
        answer = httpx.post(
            f"{issuer}/token",
            data={"grant_type": "password", "username": "admin", "password": "passwd"},
            auth=("fakeserver", "fakeserver-secret"),
            verify=context,
        )
        assert answer.status_code == 200, answer.text
        auth = client.OAuth2ResourceOwnerPasswordAuthentication(
            username="user",
            password="passwd",
            client_id="fakeserver",
            client_secret="fakeserver-secret",
            issuer_url=issuer,
        )
        with client.Session.connect(served.url, authentication=auth, certificate_authority=ca) as s:
            assert s.tier is client.Tier.READ_ONLY


def test_oidc_client_secrets_of_your_own_are_not_shown(tmp_path: Path) -> None:
    with serve(tmp_path, "--oidc-client", "app:my-own-secret") as served:
        assert "client 'app', secret not shown" in served.stdout
        assert "my-own-secret" not in served.stdout
        assert "/oidc/token" not in served.stdout  # no curl line without a published secret


def test_tls_writes_ca_and_client_certificates_to_cert_dir(tmp_path: Path) -> None:
    cert_dir = tmp_path / "certs"
    with serve(
        tmp_path, "--tls", "--client-certificate", "required", "--cert-dir", str(cert_dir)
    ) as served:
        ca = served.ready["ca"]
        assert served.url.startswith("https://") and ca == str(cert_dir / "ca.pem")
        context = ssl.create_default_context(cafile=ca)
        admin = served.ready["client_certificates"]["admin"]
        context.load_cert_chain(admin["cert"], admin["key"])
        assert httpx.get(served.url + "/versions/rest", verify=context).status_code == 200
        auth = client.ClientCertificate(admin["cert"], admin["key"])
        with client.Session.connect(
            served.url, authentication=auth, certificate_authority=ca
        ) as session:
            assert session.tier is client.Tier.LOCAL
        assert oct(Path(admin["key"]).stat().st_mode & 0o777) == "0o600"
        assert served.stop() == 0
    summary = served.stdout
    assert ca in summary and admin["cert"] in summary and "client certificates: required" in summary
    assert (cert_dir / "ca.pem").exists(), "a --cert-dir given by the user is kept"


def test_cert_dir_replaces_planted_links_and_never_writes_through_them(tmp_path: Path) -> None:
    cert_dir, victims = tmp_path / "certs", tmp_path / "victims"
    cert_dir.mkdir(mode=0o700)
    victims.mkdir()
    for name in ("ca.pem", "admin.pem", "admin.key"):
        (victims / name).write_text("precious\n")
        os.symlink(victims / name, cert_dir / name)  # planted before the server starts
    with serve(tmp_path, "--tls", "--cert-dir", str(cert_dir)) as served:
        admin = served.ready["client_certificates"]["admin"]
        assert served.stop() == 0
    for name in ("ca.pem", "admin.pem", "admin.key"):
        assert (victims / name).read_text() == "precious\n", f"{name}'s target was overwritten"
        assert not (cert_dir / name).is_symlink()
    assert "PRIVATE KEY" in Path(admin["key"]).read_text()
    assert stat.S_IMODE((cert_dir / "admin.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((cert_dir / "admin.pem").stat().st_mode) == 0o644
    assert stat.S_IMODE((cert_dir / "ca.pem").stat().st_mode) == 0o644
    assert not [p for p in cert_dir.iterdir() if p.name.endswith(".tmp")]


def _group_writable(tmp_path: Path) -> str:
    directory = tmp_path / "shared"
    directory.mkdir()
    os.chmod(directory, 0o775)
    return str(directory)


def _not_mine(tmp_path: Path) -> str:
    """A directory owned by another user: made so when root, else the file system's root."""
    if os.geteuid() != 0:
        return "/"
    directory = tmp_path / "theirs"
    directory.mkdir()
    os.chown(directory, 65534, 65534)
    return str(directory)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (_group_writable, "other users may write in it (mode 775) and it has no sticky bit"),
        (_not_mine, "it belongs to another user"),
    ],
    ids=["group_writable", "not_mine"],
)
def test_cert_dir_refuses_directories_others_control(
    tmp_path: Path, make: Callable[[Path], str], fragment: str
) -> None:
    # The real command: were it not refused, it would serve until the timeout, not hang.
    result = fakeserver("serve", "--tls", "--port", "0", "--cert-dir", make(tmp_path))
    assert_one_line_error(result, "--cert-dir: refusing", fragment)


def test_config_file_with_flags_on_top(tmp_path: Path) -> None:
    config = tmp_path / "target.toml"
    config.write_text(
        'server_version = "6.0.9"\npython_api_version = "0.9.0"\n'
        '[[security.users]]\nname = "carol"\npassword = "pw"\nroles = ["ROLE_USER", "ROLE_ADMIN"]\n'
        '[security.tokens]\n"carol-token" = "carol"\n'
    )
    with serve(tmp_path, "--config", str(config), "--server-version", "6.1.2") as served:
        assert httpx.get(served.url + "/versions/rest").json()["serverVersion"] == "6.1.2"
        token = client.TokenAuthentication("carol-token")
        with client.Session.connect(served.url, authentication=token) as session:
            assert session.conditions.same_python_api is False
            assert session.tier is client.Tier.NO_SECURITY_MANAGEMENT
        assert served.stop() == 0
    assert "trades" not in served.stdout, "a config file replaces the demo"


def test_a_config_through_a_pipe(tmp_path: Path) -> None:
    # As in `envsubst < target.toml | fakeserver serve --config /dev/stdin`.
    piped = 'server_version = "6.1.7"\n'
    with serve(tmp_path, "--config", "/dev/stdin", "--unsecured", stdin=piped) as served:
        versions = httpx.get(served.url + "/versions/rest").json()
        assert versions["serverVersion"] == "6.1.7"


def test_json_config_unsecured_not_exposed(tmp_path: Path) -> None:
    config = tmp_path / "target.json"
    config.write_text(json.dumps({"exposed": False, "server_version": "6.1.4"}))
    with serve(tmp_path, "--config", str(config), "--unsecured") as served:
        versions = httpx.get(served.url + "/versions/rest").json()
        assert versions["serverVersion"] == "6.1.4" and "atoti" not in versions["apis"]
        with client.Session.connect(served.url, server_version="6.1.4") as session:
            assert session.conditions.exposed is False
            assert session.conditions.secured is None
            assert session.tier is client.Tier.READ_ONLY
        assert served.stop() == 0
    assert "exposed   no" in served.stdout
    assert "security  none" in served.stdout


def test_verbose_logs_one_line_per_request(tmp_path: Path) -> None:
    with serve(tmp_path, "-v") as served:
        httpx.get(served.url + "/activeviam/pivot/rest/v9/ping", auth=("admin", "passwd"))
        httpx.get(served.url + "/activeviam/pivot/rest/v9/ping")
        assert served.stop() == 0
    log = served.stderr
    assert "GET /activeviam/pivot/rest/v9/ping user=admin status=200" in log
    assert "GET /activeviam/pivot/rest/v9/ping user=- status=401" in log
    assert "passwd" not in log


def test_verbose_log_lines_cannot_be_forged(tmp_path: Path) -> None:
    # Sent raw: an encoded newline, carriage return and escape sequence in the path.
    target = b"/x%0A00:00:00%20GET%20/forged%20user=admin%20status=200%0D%1B[2J"
    with serve(tmp_path, "-v") as served:
        port = int(served.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            while sock.recv(65536):
                pass
        assert served.stop() == 0
    [line] = [line for line in served.stderr.splitlines() if "/x" in line or "forged" in line]
    assert "GET /x\\n00:00:00 GET /forged user=admin status=200\\r\\x1b[2J user=" in line
    assert "\x1b" not in served.stderr


def test_port_in_use_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        assert_one_line_error(fakeserver("serve", "--port", port), "--port", "already in use")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["serve", "--port", "http"], ["--port", "'http'"]),
        (["serve", "--port", "70000"], ["--port", "65535"]),
        (["serve", "--no-such-flag"], ["--no-such-flag"]),
        (["serve", "--server-version", "six"], ["--server-version", "'six'"]),
        (["serve", "--python-api-version", ""], ["--python-api-version"]),
        (["serve", "--user", "alice"], ["--user", "NAME:PASSWORD"]),
        (["serve", "--user", "alice:pw:not-a-role"], ["--user", "role"]),
        (["serve", "--user", "alice:pw", "--user", "alice:pw2"], ["--user", "duplicate"]),
        (["serve", "--user", "alice:pw", "--token", "tok:nobody"], ["--token", "'nobody'"]),
        (["serve", "--unsecured", "--token", "tok:admin"], ["--unsecured"]),
        (["serve", "--client-certificate", "sometimes"], ["--client-certificate"]),
        (["serve", "--ready-file", "/no/such/dir/ready.json"], ["--ready-file"]),
        (["serve", "--config", "/no/such/file.toml"], ["config", "/no/such/file.toml"]),
    ],
)
def test_bad_flags_are_one_line_exit_2(
    args: list[str], fragments: Sequence[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert_one_line_error(in_process(args, capsys), *fragments)


def test_mistakes_in_the_real_command(tmp_path: Path) -> None:
    # The tables above run main() in-process (fast); these prove the real process agrees.
    assert_one_line_error(fakeserver("serve", "--port", "http"), "--port")
    bad = tmp_path / "bad.toml"
    bad.write_text('server_version = "x"\n')
    assert_one_line_error(fakeserver("serve", "--config", str(bad)), "server_version", "bad.toml")
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 5000 + "]" * 5000)  # a RecursionError traceback, once
    assert_one_line_error(fakeserver("serve", "--config", str(deep)), "deep.toml", "too deeply")
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)  # with no writer, reading it would block the command
    assert_one_line_error(
        fakeserver("serve", "--config", str(fifo)), "fifo.toml", "nothing came through the pipe"
    )
    assert_one_line_error(
        fakeserver("serve", "--config", str(tmp_path)), "is not a regular file or a pipe"
    )


class _Tripwire(Exception):
    pass


def test_refuses_demo_credentials_on_a_non_loopback_address(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process, with FakeServer replaced: this test must never bind a public address.
    def no_bind(*args: object, **kwargs: object) -> None:
        raise _Tripwire(kwargs.get("host"))

    monkeypatch.setattr(serve_module, "FakeServer", no_bind)
    for host in ("0.0.0.0", "192.0.2.10", "example.invalid"):
        assert cli.main(["serve", "--host", host, "--port", "0"]) == 2
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and "demo credentials" in error
        assert "--allow-demo-credentials" in error
    # A demo password given by hand is still a published one.
    assert cli.main(["serve", "--host", "0.0.0.0", "--user", "admin:passwd:ADMIN"]) == 2
    capsys.readouterr()
    # Opting in reaches the bind (stopped here by the tripwire), as does a private user.
    with pytest.raises(_Tripwire, match=r"0\.0\.0\.0"):
        cli.main(["serve", "--host", "0.0.0.0", "--allow-demo-credentials"])
    with pytest.raises(_Tripwire):
        cli.main(["serve", "--host", "0.0.0.0", "--user", "ops:long-secret:ADMIN"])


def test_refusal_runs_in_the_real_command_before_any_bind() -> None:
    # The ready-file mistake is checked after the refusal and before the bind: if the
    # refusal ever regressed, this still fails (differently) without binding anything.
    result = fakeserver(
        "serve", "--host", "0.0.0.0", "--port", "0", "--ready-file", "/no/such/dir/ready.json"
    )
    assert_one_line_error(result, "--host", "demo credentials", "--allow-demo-credentials")


def test_serve_shows_the_status_page_unless_told_not_to(tmp_path: Path) -> None:
    with serve(tmp_path) as served:
        page = served.url + "/_fakeserver/"
        assert httpx.get(page).status_code == 401, "secured: the page asks who you are"
        assert httpx.get(page, auth=("user", "passwd")).status_code == 403
        assert "fakeserver status" in httpx.get(page, auth=("admin", "passwd")).text
        status = httpx.get(served.url + "/_fakeserver/api/status", auth=("admin", "passwd"))
        assert {row["who"]: row["tier"] for row in status.json()["tiers"]} == {
            "admin": "LOCAL",
            "user": "READ_ONLY",
            None: None,
        }
        assert served.stop() == 0
    assert f"status    {page} (log in as a ROLE_ADMIN user)" in served.stdout
    with serve(tmp_path, "--no-status-page", "--unsecured") as served:
        assert httpx.get(served.url + "/_fakeserver/").status_code == 404
        assert served.stop() == 0
    assert "/_fakeserver/" not in served.stdout


def test_serve_with_a_fault_answers_it(tmp_path: Path) -> None:
    with serve(tmp_path, "--unsecured", "--fault", "error:*/ping:status=503,times=1") as served:
        ping = served.url + "/activeviam/pivot/rest/v9/ping"
        assert httpx.get(ping).status_code == 503
        assert httpx.get(ping).text == "pong"
        assert served.stop() == 0
    assert "*/ping: answer 503 (1x)" in served.stdout
