"""TLS for the session's server: an :class:`~atoti_lab.security.HttpsConfig` as the files uvicorn loads.

uvicorn reads PEM files (certificate chain, key, key password). A PKCS #12 file (atoti's format)
is converted with ``cryptography`` into PEM files in a private temporary directory (mode 0700, the
key encrypted with a random password) that exists only while uvicorn builds its SSL context.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["TlsFiles", "tls_files"]


@dataclass(frozen=True)
class TlsFiles:
    certfile: str
    keyfile: str | None
    password: str | None


@contextmanager
def tls_files(https: Any) -> Iterator[TlsFiles]:
    certificate = Path(https.certificate)
    if https.private_key is not None:
        yield TlsFiles(str(certificate), str(https.private_key), https.password)
        return
    data = certificate.read_bytes()
    if b"-----BEGIN" in data:
        # A PEM file holding both the certificate and its key.
        yield TlsFiles(str(certificate), None, https.password)
        return
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    password = https.password.encode() if https.password is not None else None
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, password)
    except ValueError as error:
        raise ValueError(f"Cannot open the PKCS #12 certificate {str(certificate)!r} (wrong password?): {error}") from None
    if key is None or cert is None:
        raise ValueError(f"The PKCS #12 file {str(certificate)!r} must hold a certificate and its private key.")
    secret = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="atoti_lab-tls-") as tmp:
        cert_path, key_path = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
        pem = cert.public_bytes(serialization.Encoding.PEM)
        pem += b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain or ())
        cert_path.write_bytes(pem)
        key_path.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(secret.encode())))
        yield TlsFiles(str(cert_path), str(key_path), secret)
