"""``LiveExtensionUnavailableError``, in a module of its own so tracebacks name it as atoti does.

>>> from atoti_lab.errors import LiveExtensionUnavailableError
>>> LiveExtensionUnavailableError.__module__
'atoti_lab._live_extension_unavailable_error'
"""

from __future__ import annotations

from .errors import AtotiLabError


class LiveExtensionUnavailableError(AtotiLabError, RuntimeError):
    """A connected session was asked for a capability its target does not grant it.

    Live Extension (tables, data loading, creating tables and cubes through ``tt.Session.connect``)
    needs a target session started with security and an authentication granting ``ROLE_ADMIN``.
    """
