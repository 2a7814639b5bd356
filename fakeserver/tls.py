"""Certificates made at run time: a CA per server, its server certificate, client certificates.

A server that makes its own CA writes its files into a private temp directory that it
removes when it stops. Servers given a CA (the pytest plugin's session CA) share one temp
directory per CA, removed when the CA goes away (at the latest, when the process exits):
the same CA file and client certificates for all of them. No key is ever committed:
trustme mints everything in milliseconds. Files are written by
:func:`fakeserver.keyfiles.write_file`: keys 0600, certificates 0644.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import tempfile
import threading
import weakref
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.x509.oid import NameOID

from .config import TlsConfig
from .keyfiles import write_file

__all__ = ["ServerTls", "user_from_certificate"]

_VERIFY_MODES = {
    "none": ssl.CERT_NONE,
    "optional": ssl.CERT_OPTIONAL,
    "required": ssl.CERT_REQUIRED,
}


class _Issued:
    """What one CA has made so far in this process, to be made once: server contexts by
    (names, client-certificate mode), client certificates by user, and the files servers
    given this CA share.

    Servers that share a CA (the pytest plugin's session CA: every pooled server, every
    scenario of the matrix) would otherwise issue the same leaf and load it into a new SSL
    context at each start, ~2 ms each; a client certificate costs a key pair and a signature.
    Shared files also let a client reuse its SSL context from server to server (the thin
    client keeps one per set of files).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.contexts: dict[tuple[tuple[str, ...], str], tuple[list[str], ssl.SSLContext]] = {}
        self.clients: dict[str, trustme.LeafCert] = {}
        self.directory: Path | None = None
        self.client_files: dict[str, tuple[str, str]] = {}


_ISSUED: weakref.WeakKeyDictionary[trustme.CA, _Issued] = weakref.WeakKeyDictionary()
_ISSUED_LOCK = threading.Lock()


def _issued(ca: trustme.CA) -> _Issued:
    with _ISSUED_LOCK:
        issued = _ISSUED.get(ca)
        if issued is None:
            issued = _ISSUED[ca] = _Issued()
        return issued


def _server_context(
    ca: trustme.CA, names: list[str], client_certificate: str
) -> tuple[list[str], ssl.SSLContext]:
    """The names a server certificate of ``ca`` carries, and an SSL context serving it.

    Shared by every server of ``ca`` with these names and this client-certificate mode: a
    context is safe to share between listening sockets and holds nothing of a connection.
    """
    issued = _issued(ca)
    with issued.lock:
        key = (tuple(names), client_certificate)
        if key not in issued.contexts:
            try:
                leaf = ca.issue_cert(*names)
            except ValueError:  # a host name that is not a valid DNS name: loopback only
                names = names[:3]
                leaf = ca.issue_cert(*names)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            leaf.configure_cert(context)
            context.verify_mode = _VERIFY_MODES[client_certificate]
            if client_certificate != "none":
                ca.configure_trust(context)
            issued.contexts[key] = (names, context)
        names, context = issued.contexts[key]
        return list(names), context


def _shared_directory(ca: trustme.CA, issued: _Issued) -> Path:
    """The temp directory of the files every server given ``ca`` shares (``issued.lock``
    held): made with the CA file on first use, removed when ``ca`` goes away."""
    if issued.directory is None:
        directory = Path(tempfile.mkdtemp(prefix="fakeserver-ca-"))
        write_file(directory / "ca.pem", ca.cert_pem.bytes(), private=False)
        weakref.finalize(ca, shutil.rmtree, directory, True)
        issued.directory = directory
    return issued.directory


class ServerTls:
    """The TLS material of one server: its CA, its SSL context, its issued files.

    With its own CA (``ca=None``) the files are its own, removed by :meth:`close`; with a
    CA given, they are that CA's shared ones (see the module's docstring).
    """

    def __init__(
        self, config: TlsConfig, *, ca: trustme.CA | None = None, bind_host: str = "127.0.0.1"
    ) -> None:
        self.config = config
        self._own = ca is None
        self.ca = ca or trustme.CA(organization_name="fakeserver")
        if self._own:
            self._dir = Path(tempfile.mkdtemp(prefix="fakeserver-tls-"))
            write_file(self._dir / "ca.pem", self.ca.cert_pem.bytes(), private=False)
        else:
            issued = _issued(self.ca)
            with issued.lock:
                self._dir = _shared_directory(self.ca, issued)
        self.ca_path = str(self._dir / "ca.pem")
        self.server_names, self.context = _server_context(
            self.ca, _server_names(bind_host), config.client_certificate
        )
        self._issued: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()

    def issue_client_certificate(self, user: str) -> tuple[str, str]:
        """(cert_path, key_path) of a certificate for ``user`` under this server's CA.

        Issued once per user and server (once per user and CA when the CA was given): a
        pooled server asked for the same user by test after test hands out the same two
        files instead of piling up new ones.
        """
        if not self._own:
            issued = _issued(self.ca)
            with issued.lock:
                if user not in issued.client_files:
                    issued.client_files[user] = _write_client_files(
                        _client_leaf(self.ca, user, issued), user, self._dir
                    )
                return issued.client_files[user]
        with self._lock:
            if user not in self._issued:
                self._issued[user] = issue_client_files(self.ca, user, self._dir)
            return self._issued[user]

    def close(self) -> None:
        if self._own:
            shutil.rmtree(self._dir, ignore_errors=True)


def _server_names(bind_host: str) -> list[str]:
    """Loopback names always; a server bound elsewhere also names its address and host."""
    names = ["127.0.0.1", "localhost", "::1"]
    host = bind_host.strip("[]")
    if host in ("0.0.0.0", "::", ""):
        names.append(socket.gethostname())
    elif host not in names:
        names.append(host)
    return names


def _client_leaf(ca: trustme.CA, user: str, issued: _Issued) -> trustme.LeafCert:
    """The certificate of ``ca`` naming ``user``, issued once (``issued.lock`` held)."""
    leaf = issued.clients.get(user)
    if leaf is None:
        try:
            leaf = ca.issue_cert(user, common_name=user)
        except ValueError:
            # Not a valid DNS name (e.g. "user_1"): the CN alone carries the user.
            leaf = ca.issue_cert("client.fakeserver.invalid", common_name=user)
        issued.clients[user] = leaf
    return leaf


def _write_client_files(leaf: trustme.LeafCert, user: str, directory: Path) -> tuple[str, str]:
    stem = "".join(c if c.isalnum() else "_" for c in user)[:40] or "user"
    # mkstemp: a name no other certificate can have, unlike one derived from the user.
    handle, cert_name = tempfile.mkstemp(prefix=f"client-{stem}-", suffix=".pem", dir=directory)
    os.close(handle)
    cert_path = Path(cert_name)
    key_path = cert_path.with_suffix(".key")
    write_file(cert_path, leaf.cert_chain_pems[0].bytes(), private=False)
    write_file(key_path, leaf.private_key_pem.bytes(), private=True)
    return str(cert_path), str(key_path)


def issue_client_files(ca: trustme.CA, user: str, directory: Path) -> tuple[str, str]:
    """Write a certificate naming ``user`` (CN and first SAN) and its key into ``directory``.

    The certificate is issued once per CA and user (see :class:`_Issued`); each call writes
    its own two files.
    """
    issued = _issued(ca)
    with issued.lock:
        leaf = _client_leaf(ca, user, issued)
    return _write_client_files(leaf, user, directory)


def user_from_certificate(der: bytes) -> str | None:
    """The user a verified client certificate names: its subject CN, else its first SAN."""
    try:
        certificate = x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if names and isinstance(names[0].value, str) and names[0].value:
        return names[0].value
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    for entry in san:
        value = getattr(entry, "value", None)
        if isinstance(value, str) and value:
            return value
    return None
