"""`python -m bot.cli`: the `anlaufstelle` command (how `serve --workers` starts its workers:
the same interpreter, whatever the installed script is called)."""

from bot.cli.main import main

if __name__ == "__main__":
    main()
