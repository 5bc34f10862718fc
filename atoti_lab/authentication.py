"""How a connected session authenticates against its target (``tt.Session.connect(..., authentication=)``).

>>> auth = BasicAuthentication("admin", "passwd")
>>> auth
BasicAuthentication(username='admin')
>>> auth("http://127.0.0.1:9090")
{'Authorization': 'Basic YWRtaW46cGFzc3dk'}

Any callable taking the target URL and returning HTTP headers works too (atoti's ``Authenticate``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["Authenticate", "BasicAuthentication"]

Authenticate = Callable[[str], Mapping[str, str]]
"""Called with a request's URL; returns the headers that authenticate it."""


@dataclass(frozen=True)
class BasicAuthentication:
    """Authenticate requests with HTTP Basic Authentication (see ``tt.BasicAuthenticationConfig``)."""

    username: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.username, str) or not self.username or ":" in self.username:
            raise ValueError(f"The user name must be a non-empty string without ':', got {self.username!r}.")
        if not isinstance(self.password, str):
            raise TypeError("The password must be a string.")

    def __call__(self, url: str) -> dict[str, str]:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}
