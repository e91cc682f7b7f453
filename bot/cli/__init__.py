"""The `anlaufstelle` command (serve, init, doctor, flows, counsellor, team, stats, purge) and
what it needs to open the store on first start.

`main` is re-exported for the `anlaufstelle = "bot.cli:main"` entry point.
"""

from bot.cli.main import main

__all__ = ["main"]
