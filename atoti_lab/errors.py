"""The exceptions atoti_lab raises beyond Python's own.

    Exception
    ├── AtotiLabError                      base of the errors below
    │   ├── SessionClosedError             using a session after close()
    │   └── LoadError                      a source that cannot be loaded at all
    ├── UserWarning
    │   └── LoadWarning                    rows rejected while loading (the rest loaded)
    └── (ValueError, KeyError, TypeError)  bad arguments, named as Python users expect
"""

from __future__ import annotations


class AtotiLabError(Exception):
    """Base class of atoti_lab's own errors."""


class SessionClosedError(AtotiLabError):
    """The session was closed; create a new one."""


class LoadError(AtotiLabError):
    """A source could not be loaded (nothing was changed)."""


class LoadWarning(UserWarning):
    """Some rows of a source were rejected; the others were loaded (see ``table.loading_report``)."""
