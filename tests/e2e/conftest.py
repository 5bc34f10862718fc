"""Browser fixtures (Playwright on Debian's chromium) for the end-to-end tests."""

from tests._browser import browser, page  # noqa: F401 - pytest fixtures
