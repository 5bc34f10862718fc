"""HTTPS: a self-signed certificate made in the test, a session serving TLS, Session.connect verifying it."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import httpx
import pandas as pd
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

import atoti_lab as tt
from atoti_lab.security import HttpsConfig


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A certificate authority and a server certificate it signed for localhost and 127.0.0.1."""
    tmp = tmp_path_factory.mktemp("pki")
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("atoti_lab test CA")).issuer_name(_name("atoti_lab test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {"ca": tmp / "ca.pem", "p12": tmp / "server.p12", "cert": tmp / "server.pem", "key": tmp / "server.key"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["p12"].write_bytes(pkcs12.serialize_key_and_certificates(
        b"server", key, cert, [ca], serialization.BestAvailableEncryption(b"p12-password")))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return paths


def _secured(https: HttpsConfig) -> tt.Session:
    session = tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig(https=https)))
    session.security.basic_authentication.credentials["admin"] = "pw"
    session.security.individual_roles["admin"] = {"ROLE_ADMIN"}
    session.create_cube(session.read_pandas(pd.DataFrame({"City": ["A", "B"], "Qty": [1, 2]}), table_name="S"))
    return session


def test_pkcs12_certificate_and_connect_with_the_certificate_authority(pki: dict[str, Path]) -> None:
    with _secured(HttpsConfig(certificate=pki["p12"], password="p12-password")) as session:
        assert session.url == f"https://localhost:{session.port}"
        # An unknown authority is refused; the right one verifies.
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{session.url}/versions/rest")
        context = ssl.create_default_context(cafile=str(pki["ca"]))
        assert httpx.get(f"{session.url}/versions/rest", verify=context).status_code == 401  # TLS ok, then auth
        assert httpx.get(f"{session.url}/versions/rest", verify=context, auth=("admin", "pw")).status_code == 200
        # Plain HTTP on the TLS port gets nothing useful.
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{session.port}/versions/rest").raise_for_status()
        with tt.Session.connect(session.url, authentication=tt.BasicAuthentication("admin", "pw"),
                                certificate_authority=pki["ca"]) as connected:
            cube = connected.cubes["S"]
            frame = cube.query(cube.measures["Qty.SUM"], levels=[cube.levels["City"]], mode="raw")
            local = session.cubes["S"]
            expected = local.query(local.measures["Qty.SUM"], levels=[local.levels["City"]], mode="raw")
            pd.testing.assert_frame_equal(frame, pd.DataFrame(expected), check_dtype=False)
            connected.tables["S"].append(("C", 3))  # live extension over HTTPS
        assert len(session.tables["S"]) == 3


def test_pem_certificate_and_key(pki: dict[str, Path]) -> None:
    with _secured(HttpsConfig(certificate=pki["cert"], private_key=pki["key"])) as session:
        context = ssl.create_default_context(cafile=str(pki["ca"]))
        assert httpx.get(f"{session.url}/atoti/rest/v0/me", verify=context, auth=("admin", "pw")).json()["user"] == "admin"


def test_bad_https_configs_fail_clearly(pki: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="certificate"):
        tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig(https=HttpsConfig(certificate=tmp_path / "no.p12"))))
    with pytest.raises(ValueError, match="wrong password"):
        tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig(
            https=HttpsConfig(certificate=pki["p12"], password="nope"))))
