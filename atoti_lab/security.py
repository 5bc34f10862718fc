"""Security: who may use a session's server (atoti 0.9's ``SecurityConfig`` and ``session.security``).

With ``tt.SessionConfig(security=tt.SecurityConfig())`` every route of the session's server needs
HTTP Basic authentication. Users are given credentials and roles once the session runs:

>>> import atoti_lab as tt
>>> session = tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig()))
>>> session.security.basic_authentication.credentials["Chen"] = "Peking"
>>> session.security.individual_roles["Chen"] = {"ROLE_USER"}
>>> session.security.basic_authentication.credentials  # passwords cannot be read back
{'Chen': '**REDACTED**'}
>>> session.security.individual_roles["Chen"]
frozenset({'ROLE_USER'})
>>> session.close()

``ROLE_USER`` may read (tables, cubes, queries); ``ROLE_ADMIN`` may also change data and the data
model. A user with neither role cannot use the session. Passwords are kept as salted scrypt
hashes only (PBKDF2-SHA256 where OpenSSL lacks scrypt); like atoti's, the credentials are kept in
memory and reset when the session stops.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
import uuid
from collections.abc import Iterator, MutableMapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "ROLE_ADMIN",
    "ROLE_USER",
    "BasicAuthenticationConfig",
    "BasicAuthenticationSecurity",
    "HttpsConfig",
    "IndividualRoles",
    "Security",
    "SecurityConfig",
]

ROLE_USER = "ROLE_USER"
"""Reads: tables, cubes, queries."""
ROLE_ADMIN = "ROLE_ADMIN"
"""Everything ROLE_USER may do, plus changes to data and the data model."""

REDACTED = "**REDACTED**"
"""What reading a password back gives, as in atoti."""


def _default_realm() -> str:
    # atoti: "a machine-wide unique ID". Derived from the host's node id, hashed so the header
    # does not reveal it.
    return "atoti_lab-" + hashlib.sha256(str(uuid.getnode()).encode()).hexdigest()[:12]


@dataclass(frozen=True, kw_only=True)
class BasicAuthenticationConfig:
    """The Basic Authentication config: users get credentials and roles once the session runs.

    `realm` names the protected area (browsers show it when asking for credentials); sessions
    with different realms on one host keep their logins apart. None: a machine-wide ID.
    """

    realm: str | None = None


@dataclass(frozen=True, kw_only=True)
class SecurityConfig:
    """The parts of the security system fixed when the session starts (atoti's ``SecurityConfig``).

    Basic authentication is always on; ``https`` (a :class:`HttpsConfig`) serves the session over
    TLS. The other fields are accepted for compatibility with atoti's signature; those that would
    change who can connect (``sso``, ``client_certificate``, ``login``) are refused when set,
    rather than silently ignored.
    """

    basic_authentication: BasicAuthenticationConfig = field(default_factory=BasicAuthenticationConfig)
    client_certificate: Any | None = None
    cors: Any | None = None
    https: Any | None = None
    jwt: Any | None = None
    login: Any | None = None
    same_site: Literal["lax", "none", "strict"] = "lax"
    sso: Any | None = None


@dataclass(frozen=True, kw_only=True)
class HttpsConfig:
    """Serve the session over HTTPS (atoti's ``HttpsConfig``).

    `certificate` is a PKCS #12 file (``.p12``/``.pfx``: certificate, chain and key) opened with
    `password`, as atoti takes it; or, going beyond atoti, a PEM certificate (chain) with its PEM
    `private_key` (encrypted with `password` if one is given). `domain` is the host name in the
    certificate: ``session.url`` uses it. `certificate_authority` is accepted for atoti's
    signature: clients pass it to ``tt.Session.connect(..., certificate_authority=...)``.
    """

    certificate: Path | str
    password: str | None = None
    certificate_authority: Path | str | None = None
    domain: str = "localhost"
    private_key: Path | str | None = None


# -- password hashing ------------------------------------------------------------------------------

# scrypt with n=2**14, r=8, p=1 (16 MiB, a few tens of ms): OWASP's minimum. Verification results
# are cached per process (see _Verifier) so that a client sending Basic credentials with every
# request does not pay this cost each time.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32, "maxmem": 64 * 2**20}
_PBKDF2_ITERATIONS = 600_000


@dataclass(frozen=True)
class _PasswordHash:
    """A salted password hash; the password itself is never stored."""

    scheme: str
    salt: bytes
    digest: bytes

    def __repr__(self) -> str:  # never print hashes by accident
        return f"_PasswordHash({self.scheme})"


def _derive(scheme: str, password: bytes, salt: bytes) -> bytes:
    if scheme == "scrypt":
        return hashlib.scrypt(password, salt=salt, **_SCRYPT)
    return hashlib.pbkdf2_hmac("sha256", password, salt, _PBKDF2_ITERATIONS)


def _scheme() -> str:
    return "scrypt" if hasattr(hashlib, "scrypt") else "pbkdf2-sha256"


def hash_password(password: str) -> _PasswordHash:
    salt = secrets.token_bytes(16)
    scheme = _scheme()
    return _PasswordHash(scheme, salt, _derive(scheme, password.encode("utf-8"), salt))


def _check_password(record: _PasswordHash, password: bytes) -> bool:
    return hmac.compare_digest(_derive(record.scheme, password, record.salt), record.digest)


# -- the live security objects ---------------------------------------------------------------------


def _check_username(username: object) -> str:
    if not isinstance(username, str) or not username:
        raise TypeError(f"A user name is a non-empty string, got {username!r}.")
    if ":" in username:
        raise ValueError(f"User name {username!r} contains ':', which Basic Authentication cannot carry.")
    return username


class _Credentials(MutableMapping[str, str]):
    """User name -> password; stores salted hashes, reads back ``'**REDACTED**'``."""

    def __init__(self, owner: BasicAuthenticationSecurity) -> None:
        self._owner = owner

    def __getitem__(self, username: str) -> str:
        if username not in self._owner._hashes:
            raise KeyError(username)
        return REDACTED

    def __setitem__(self, username: str, password: str) -> None:
        _check_username(username)
        if not isinstance(password, str):
            raise TypeError(f"The password of {username!r} must be a string, got a {type(password).__name__}.")
        record = hash_password(password)
        self._owner._hashes[username] = record

    def __delitem__(self, username: str) -> None:
        del self._owner._hashes[username]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._owner._hashes))

    def __len__(self) -> int:
        return len(self._owner._hashes)

    def __repr__(self) -> str:
        return repr(dict(self.items()))


class BasicAuthenticationSecurity:
    """``session.security.basic_authentication``: the users who log in with a password."""

    def __init__(self, config: BasicAuthenticationConfig) -> None:
        self._config = config
        self._hashes: dict[str, _PasswordHash] = {}

    @property
    def realm(self) -> str:
        return self._config.realm or _default_realm()

    @property
    def credentials(self) -> MutableMapping[str, str]:
        """Mapping from user name to password (write-only: reading a password gives ``'**REDACTED**'``).

        Grant roles with ``session.security.individual_roles`` too: without ``ROLE_USER`` (or
        ``ROLE_ADMIN``) a user cannot use the session.
        """
        return _Credentials(self)

    def __repr__(self) -> str:
        return f"BasicAuthenticationSecurity(users={sorted(self._hashes)})"


class IndividualRoles(MutableMapping[str, AbstractSet[str]]):
    """``session.security.individual_roles``: user name -> roles (read back as a frozenset)."""

    def __init__(self) -> None:
        self._roles: dict[str, frozenset[str]] = {}

    def __getitem__(self, username: str) -> frozenset[str]:
        return self._roles[username]

    def __setitem__(self, username: str, roles: AbstractSet[str]) -> None:
        _check_username(username)
        if isinstance(roles, str) or not isinstance(roles, (AbstractSet, list, tuple)):
            raise TypeError(f"The roles of {username!r} must be a set of role names, got {roles!r}.")
        roles = frozenset(roles)
        bad = [r for r in roles if not isinstance(r, str) or not r]
        if bad:
            raise TypeError(f"Role names are non-empty strings, got {bad!r} for user {username!r}.")
        self._roles[username] = roles

    def __delitem__(self, username: str) -> None:
        del self._roles[username]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._roles))

    def __len__(self) -> int:
        return len(self._roles)

    def __repr__(self) -> str:
        return repr({user: set(roles) for user, roles in self._roles.items()})


class Security:
    """``session.security``: manage users and roles while the session runs.

    Users with ``ROLE_ADMIN`` have full access; the others need ``ROLE_USER`` to use the session.
    """

    def __init__(self, config: SecurityConfig) -> None:
        self._config = config
        self._basic = BasicAuthenticationSecurity(config.basic_authentication)
        self._individual_roles = IndividualRoles()
        self._verifier = _Verifier(self)

    @property
    def basic_authentication(self) -> BasicAuthenticationSecurity:
        return self._basic

    @property
    def individual_roles(self) -> MutableMapping[str, AbstractSet[str]]:
        """Mapping from user name to the roles granted to that user."""
        return self._individual_roles

    def __repr__(self) -> str:
        return f"Security(users={sorted(self._basic._hashes)})"

    # -- used by the server ---------------------------------------------------------------------
    def _authenticate(self, username: str, password: str) -> frozenset[str] | None:
        """The roles of `username` if `password` is right, else None (in about constant time)."""
        if not self._verifier.verify(username, password):
            return None
        return self._individual_roles._roles.get(username, frozenset())


class _Verifier:
    """Checks passwords against the stored hashes, caching successes.

    A cache entry is a keyed digest (HMAC-SHA256 with a random per-process key) of a password
    that verified against a given hash record; changing or deleting a user's credentials makes
    the entry stale. Unknown users cost a hash computation too, so timing does not tell which
    user names exist.
    """

    def __init__(self, security: Security) -> None:
        self._security = security
        self._key = secrets.token_bytes(32)
        self._cache: dict[str, tuple[_PasswordHash, bytes]] = {}
        self._lock = threading.Lock()

    def verify(self, username: str, password: str) -> bool:
        secret = password.encode("utf-8")
        token = hmac.new(self._key, username.encode("utf-8") + b"\0" + secret, hashlib.sha256).digest()
        record = self._security._basic._hashes.get(username)
        if record is None:
            _check_password(_dummy(), secret)
            return False
        with self._lock:
            cached = self._cache.get(username)
        if cached is not None and cached[0] is record and hmac.compare_digest(cached[1], token):
            return True
        if not _check_password(record, secret):
            return False
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[username] = (record, token)
        return True


_dummy_record: _PasswordHash | None = None


def _dummy() -> _PasswordHash:
    global _dummy_record
    if _dummy_record is None:
        _dummy_record = hash_password(base64.b64encode(os.urandom(12)).decode())
    return _dummy_record


def security_from_config(config: Any) -> Security | None:
    """The session's Security object (None without ``SessionConfig.security``).

    Called by the session before its server starts. Refuses settings that would change who can
    connect but that this server does not implement yet.
    """
    https_from_config(config)  # refuse a bad HTTPS config before the session starts
    security = getattr(config, "security", None)
    if security is None:
        return None
    if not isinstance(security, SecurityConfig):
        raise TypeError(f"SessionConfig.security must be a tt.SecurityConfig, got {security!r}.")
    for name in ("sso", "client_certificate", "login"):
        if getattr(security, name) is not None:
            raise NotImplementedError(
                f"SecurityConfig({name}=...) is not supported yet; only Basic Authentication is."
            )
    return Security(security)


def https_from_config(config: Any) -> HttpsConfig | None:
    """The session's HTTPS config: ``SecurityConfig(https=...)`` (atoti 0.9) or ``SessionConfig(https=...)``."""
    security = getattr(config, "security", None)
    candidates = [getattr(security, "https", None), getattr(config, "https", None)]
    given = [c for c in candidates if c is not None]
    if not given:
        return None
    if len(given) == 2 and given[0] != given[1]:
        raise ValueError("HTTPS is configured twice: pass it once, as tt.SecurityConfig(https=...).")
    https = given[0]
    if not isinstance(https, HttpsConfig):
        raise TypeError(f"The HTTPS config must be a HttpsConfig(certificate=..., password=...), got {https!r}.")
    for name in ("certificate", "private_key", "certificate_authority"):
        path = getattr(https, name)
        if path is not None and not Path(path).is_file():
            raise FileNotFoundError(f"HttpsConfig.{name}: no file at {str(path)!r}.")
    return https


def require_security(security: Security | None) -> Security:
    """``session.security``: only for sessions started with a security config."""
    if security is None:
        raise RuntimeError(
            "session.security requires the session to be started with security: "
            "tt.Session.start(tt.SessionConfig(security=tt.SecurityConfig()))."
        )
    return security
