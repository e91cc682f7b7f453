"""Fixtures shared by the integration tests of the console's parts."""

from tests.integration.test_console import env  # noqa: F401 - the console fixture, for all modules
