"""Certificates made at run time: a CA per server, its server certificate, client certificates.

Nothing here is ever written outside a private temp directory that the server removes when
it stops, and no key is ever committed: trustme mints everything in milliseconds. Files are
written by :func:`fakeserver.keyfiles.write_file`: keys 0600, certificates 0644.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import tempfile
import threading
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


class ServerTls:
    """The TLS material of one server: its CA, its SSL context, its issued files."""

    def __init__(
        self, config: TlsConfig, *, ca: trustme.CA | None = None, bind_host: str = "127.0.0.1"
    ) -> None:
        self.config = config
        self.ca = ca or trustme.CA(organization_name="fakeserver")
        self._dir = Path(tempfile.mkdtemp(prefix="fakeserver-tls-"))
        self.ca_path = str(self._dir / "ca.pem")
        write_file(self.ca_path, self.ca.cert_pem.bytes(), private=False)
        self.server_names = _server_names(bind_host)
        try:
            leaf = self.ca.issue_cert(*self.server_names)
        except ValueError:  # a host name that is not a valid DNS name: loopback only
            self.server_names = self.server_names[:3]
            leaf = self.ca.issue_cert(*self.server_names)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        leaf.configure_cert(context)
        context.verify_mode = _VERIFY_MODES[config.client_certificate]
        if config.client_certificate != "none":
            self.ca.configure_trust(context)
        self.context = context
        self._issued: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()

    def issue_client_certificate(self, user: str) -> tuple[str, str]:
        """(cert_path, key_path) of a certificate for ``user`` under this server's CA.

        Issued once per user and server: a pooled server asked for the same user by test
        after test hands out the same two files instead of piling up new ones.
        """
        with self._lock:
            if user not in self._issued:
                self._issued[user] = issue_client_files(self.ca, user, self._dir)
            return self._issued[user]

    def close(self) -> None:
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


def issue_client_files(ca: trustme.CA, user: str, directory: Path) -> tuple[str, str]:
    """Write a certificate naming ``user`` (CN and first SAN) and its key into ``directory``."""
    try:
        leaf = ca.issue_cert(user, common_name=user)
    except ValueError:
        # Not a valid DNS name (e.g. "user_1"): the CN alone carries the user.
        leaf = ca.issue_cert("client.fakeserver.invalid", common_name=user)
    stem = "".join(c if c.isalnum() else "_" for c in user)[:40] or "user"
    # mkstemp: a name no other certificate can have, unlike one derived from the user.
    handle, cert_name = tempfile.mkstemp(prefix=f"client-{stem}-", suffix=".pem", dir=directory)
    os.close(handle)
    cert_path = Path(cert_name)
    key_path = cert_path.with_suffix(".key")
    write_file(cert_path, leaf.cert_chain_pems[0].bytes(), private=False)
    write_file(key_path, leaf.private_key_pem.bytes(), private=True)
    return str(cert_path), str(key_path)


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
