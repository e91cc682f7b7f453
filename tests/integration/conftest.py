"""Fixtures shared by the console test modules.

`env` (the console app with two counsellors and an admin, see test_console.py) is made
available to every module here, so they need not import a fixture by name.
"""

from tests.integration.test_console import env as env  # re-exported: a fixture
