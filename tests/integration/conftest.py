"""Fixtures shared by the console test modules.

`env` (the console app with two counsellors and an admin, see test_console.py),
`console_now` (where its clock starts) and `replicas` (two apps on one PostgreSQL database,
see test_replicas_live.py) are made available to every module here, so they need not
import a fixture by name.
"""

from tests.integration.test_console import console_now as console_now  # re-exported: fixtures
from tests.integration.test_console import env as env
from tests.integration.test_replicas_live import replicas as replicas
