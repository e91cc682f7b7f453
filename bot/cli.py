"""The `anlaufstelle` command.

Every expected failure (bad configuration, missing server key, unreadable flow, database
down) ends as one line on standard error and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from aiohttp import web

from bot import housekeeping, log_safety, translations_cli
from bot.bootstrap import StartupError, open_store, setup_url, shipped_flows
from bot.console.statistics import SMALL_CELL, suppress
from bot.flows import UnknownTeam, publish_files
from bot.office_config import OfficeConfig
from bot.settings import Settings, SettingsError, load_settings
from bot.simulate import first_start_notice, simulate
from bot.telegram_cli import TelegramCommandError, delete_webhook, set_webhook
from dialogs.diagram import mermaid
from dialogs.errors import FlowErrors
from dialogs.loader import load_flow
from storage import stats, teams
from storage.teams import TeamError

EXIT_USAGE = 2
EXIT_FAILURE = 1

log = logging.getLogger("anlaufstelle")


class CommandError(Exception):
    """A command failed in a way the user can act on; printed as one line."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="anlaufstelle", description="Anonymous intake for counselling offices."
    )
    p.add_argument(
        "--config",
        type=Path,
        default=os.environ.get("ANLAUFSTELLE_CONFIG"),
        help="TOML settings file (default: $ANLAUFSTELLE_CONFIG, else built-in defaults)",
    )
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser(
        "init", help="create the server key, the database and a demo team and counsellor"
    )
    sub.add_parser("serve", help="run the service (creates everything on the first start)")
    sub.add_parser("purge", help="close idle bot conversations and wipe their answers now")
    sub.add_parser("doctor", help="check configuration, server key, database and flows")
    sub.add_parser("stats", help="print the anonymous statistics (counts below 5 hidden)")

    flows = sub.add_parser("flows", help="validate, simulate, draw and publish dialog flows")
    fsub = flows.add_subparsers(dest="flows_command", required=True)
    v = fsub.add_parser("validate", help="check flow files; errors as file:line:column")
    v.add_argument("files", nargs="+", type=Path)
    s = fsub.add_parser("simulate", help="play a flow in the terminal through the real service")
    s.add_argument("file", type=Path)
    s.add_argument("--lang", default="de")
    d = fsub.add_parser("diagram", help="print a Mermaid diagram of a flow")
    d.add_argument("file", type=Path)
    d.add_argument("--lang", default=None)
    pub = fsub.add_parser("publish", help="publish a flow file as the next version")
    pub.add_argument("file", type=Path)
    translations_cli.add_parsers(fsub)

    rasa = sub.add_parser("rasa", help="the optional Rasa integration")
    rsub = rasa.add_subparsers(dest="rasa_command", required=True)
    ra = rsub.add_parser(
        "actions",
        help="serve our Rasa custom actions on rasa-sdk's own server (loopback by default)",
    )
    ra.add_argument("--host", default=None, help="listen address (default: rasa.actions_host)")
    ra.add_argument("--port", type=int, default=None, help="port (default: rasa.actions_port)")

    team = sub.add_parser("team", help="manage teams")
    tsub = team.add_subparsers(dest="team_command", required=True)
    ta = tsub.add_parser("add", help="create a team; prints its recovery key once")
    ta.add_argument("team_id")
    ta.add_argument("name")

    tg = sub.add_parser("telegram", help="the Telegram bot's webhook")
    tgsub = tg.add_subparsers(dest="telegram_command", required=True)
    tgsub.add_parser(
        "set-webhook", help="register telegram.webhook_url and the secret token at Telegram"
    )
    tgsub.add_parser("delete-webhook", help="remove the webhook (for polling)")

    counsellor = sub.add_parser("counsellor", help="manage counsellors")
    csub = counsellor.add_subparsers(dest="counsellor_command", required=True)
    ca = csub.add_parser("add", help="create a counsellor account in a team")
    ca.add_argument("username")
    ca.add_argument("--team", required=True)
    ca.add_argument("--role", choices=["counsellor", "admin"], default="counsellor")
    ca.add_argument(
        "--recovery-key-file",
        type=Path,
        help="file holding the team's recovery key (else prompted)",
    )
    ca.add_argument(
        "--password-file", type=Path, help="file holding the new password (else prompted)"
    )
    ci = csub.add_parser(
        "invite", help="create an account with a one-time setup link (valid 72 hours)"
    )
    ci.add_argument("username")
    ci.add_argument("--team", required=True)
    ci.add_argument("--role", choices=["counsellor", "admin"], default="counsellor")
    ci.add_argument(
        "--recovery-key-file",
        type=Path,
        help="file holding the team's recovery key (else prompted)",
    )
    return p


def main(argv: list[str] | None = None) -> None:
    sys.exit(run(argv))


def run(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    try:
        if args.command == "flows" and args.flows_command in ("validate", "diagram"):
            return _flows_offline(args, out)
        if args.command == "flows" and args.flows_command in translations_cli.COMMANDS:
            return translations_cli.run(args, out)
        settings = load_settings(args.config)
        _configure_logging(settings.log_level)
        if args.command == "rasa":
            return _rasa_actions(settings, args, out)
        handler = _COMMANDS[args.command]
        return asyncio.run(handler(settings, args, out))
    except (
        SettingsError,
        StartupError,
        CommandError,
        TeamError,
        UnknownTeam,
        TelegramCommandError,
    ) as exc:
        print(f"anlaufstelle: error: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, SettingsError) else EXIT_FAILURE
    except FlowErrors as exc:
        for err in exc.errors:
            print(str(err), file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130


def _configure_logging(level: str) -> None:
    # Log lines carry ids and counts only; no handler here ever formats message content.
    # Values from outside in them (a chat type, an action name) cannot break a line.
    log_safety.install()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # Sanic (rasa-sdk's server) would log request lines with the ?token= of Rasa's calls.
    logging.getLogger("sanic.access").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # aiosqlite narrates every call at DEBUG; it says nothing an operator needs.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)


def _flows_offline(args: argparse.Namespace, out: TextIO) -> int:
    if args.flows_command == "validate":
        failed = 0
        for path in args.files:
            try:
                load_flow(path)
            except FlowErrors as exc:
                failed += 1
                for err in exc.errors:
                    print(str(err), file=sys.stderr)
            else:
                out.write(f"{path}: ok\n")
        return EXIT_FAILURE if failed else 0
    flow = load_flow(args.file)
    out.write(mermaid(flow, args.lang) + "\n")
    return 0


Handler = Callable[[Settings, argparse.Namespace, TextIO], Coroutine[Any, Any, int]]


async def _init(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    store, first = await open_store(settings, create=True)
    await store.db.dispose()
    if first is None:
        out.write(f"Already initialised: {store.db.safe_url}\n")
    else:
        out.write(first_start_notice(first))
    return 0


async def _serve(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from bot.app import create_app

    store, first = await open_store(settings, create=True)
    try:
        if first is not None:
            out.write(first_start_notice(first))
        await publish_files(store, shipped_flows(settings), at_start=True)
        app = create_app(settings, store)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, settings.host, settings.port)
            try:
                await site.start()
            except OSError as exc:
                raise CommandError(
                    f"cannot listen on {settings.host}:{settings.port} ({exc.strerror})"
                ) from None
            base = f"http://{settings.host}:{settings.port}"
            out.write(f"Anlaufstelle is running on {base}/ (Ctrl+C stops it)\n")
            if settings.webchat.enabled:
                out.write(f"  Web chat: {base}/chat\n")
            if settings.telegram.enabled:
                out.write(f"  Telegram: {settings.telegram.mode}\n")
            out.flush()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                # A container stop (SIGTERM) shuts down as cleanly as Ctrl+C.
                loop.add_signal_handler(signum, stop.set)
            await stop.wait()
            out.write("Stopping.\n")
        finally:
            await runner.cleanup()
    finally:
        await store.db.dispose()
    return 0


async def _purge(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    store, _ = await open_store(settings, create=False)
    try:
        # The retention period an admin set in the console wins over the file, as in `serve`.
        retention = (await OfficeConfig(settings, store).refresh()).retention_days
        swept = await housekeeping.sweep(
            store,
            idle_hours=settings.state_idle_hours,
            retention_days=retention,
            now=datetime.now(UTC),
        )
    finally:
        await store.db.dispose()
    out.write(
        f"{swept.idle_conversations} idle conversations closed and their answers wiped; "
        f"{swept.deleted_cases} cases past the retention period deleted\n"
    )
    return 0


"""Counts below this are shown as "< 5": a rare combination could single a person out."""


async def _stats(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    store, _ = await open_store(settings, create=False)
    try:
        async with store.read() as tx:
            rows = await stats.table(tx)
    finally:
        await store.db.dispose()
    if not rows:
        out.write("No closed cases counted yet.\n")
        return 0
    # The console's rule, per month and dimension: counts 1-4 show as "< 5", and a lone small
    # cell takes the next smallest with it ("hidden"), so no total gives it away.
    groups: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        groups.setdefault((row.period, row.dimension), {})[row.value] = row.count
    out.write("month    dimension     value                          count\n")
    for (period, dimension), counts in groups.items():
        shown = suppress(counts)
        for value in counts:
            number, why = shown[value]
            text = {"small": f"< {SMALL_CELL}", "secondary": "hidden"}.get(why, str(number))
            out.write(f"{period}  {dimension:<12}  {value:<30} {text:>6}\n")
    return 0


async def _doctor(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    store, _ = await open_store(settings, create=False)
    try:
        out.write(f"settings: ok\nserver key: ok ({store.keys.fingerprint()})\n")
        out.write(f"database: ok ({store.db.backend}, schema current)\n")
        for path in shipped_flows(settings):
            load_flow(path)
            out.write(f"flow {path}: ok\n")
    finally:
        await store.db.dispose()
    return 0


async def _flows(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    if args.flows_command == "simulate":
        flow = load_flow(args.file)
        if args.lang not in flow.languages:
            raise CommandError(
                f"{args.file}: flow {flow.id!r} has no language {args.lang!r} "
                f"(it has {', '.join(flow.languages)})"
            )
        return await simulate(settings, args.file, args.lang, sys.stdin, out)
    store, _ = await open_store(settings, create=False)
    try:
        (version,) = await publish_files(store, [args.file], by="cli")
    finally:
        await store.db.dispose()
    out.write(f"flow {version.flow_id}: version {version.number} is published\n")
    return 0


async def _team(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    store, _ = await open_store(settings, create=False)
    try:
        async with store.tx() as tx:
            created = await teams.create_team(tx, args.team_id, args.name)
    finally:
        await store.db.dispose()
    out.write(
        f"Team {created.team_id!r} created. Its recovery key, shown only now — write it on paper "
        f"and keep it offline:\n  {created.recovery_key}\n"
    )
    return 0


async def _counsellor(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    if args.counsellor_command == "invite":
        return await _invite(settings, args, out)
    recovery = _secret(args.recovery_key_file, f"Recovery key of team {args.team}: ")
    password = _secret(args.password_file, f"New password for {args.username}: ")
    if len(password) < 12:
        raise CommandError("the password must have at least 12 characters")
    store, _ = await open_store(settings, create=False)
    try:
        async with store.tx() as tx:
            keys = await teams.unlock_with_recovery_key(tx, args.team, recovery)
            await teams.add_counsellor(
                tx, args.username, password, role=args.role, teams={args.team: keys}
            )
    finally:
        await store.db.dispose()
    out.write(f"Counsellor {args.username!r} added to team {args.team!r}.\n")
    return 0


async def _invite(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    recovery = _secret(args.recovery_key_file, f"Recovery key of team {args.team}: ")
    store, _ = await open_store(settings, create=False)
    try:
        async with store.tx() as tx:
            keys = await teams.unlock_with_recovery_key(tx, args.team, recovery)
            token = await teams.invite_counsellor(tx, args.username, args.role, {args.team: keys})
    finally:
        await store.db.dispose()
    hours = int(teams.SETUP_VALIDITY.total_seconds() // 3600)
    out.write(
        f"Counsellor {args.username!r} invited to team {args.team!r}. Give them this one-time "
        f"setup link (valid {hours} hours) in person or another trusted way:\n"
        f"  {setup_url(settings, token)}\n"
    )
    return 0


def _rasa_actions(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    # Sanic runs its own event loop, so this command is not a coroutine like the others.
    try:
        from bot.rasa.server import serve
    except ImportError:
        raise SystemExit(
            "error: the Rasa integration is not installed: pip install 'anlaufstelle[rasa]'"
        ) from None

    settings.rasa.resolved_action_token()  # a missing token is a clear error before binding
    host = args.host or settings.rasa.actions_host
    port = args.port or settings.rasa.actions_port
    out.write(f"Rasa action server on http://{host}:{port}/webhook (Ctrl+C stops it)\n")
    out.flush()
    serve(settings, host, port)
    return 0


async def _telegram(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    if args.telegram_command == "set-webhook":
        return await set_webhook(settings.telegram, out)
    return await delete_webhook(settings.telegram, out)


def _secret(path: Path | None, prompt: str) -> str:
    if path is not None:
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CommandError(f"cannot read {path} ({exc.strerror})") from None
    if not sys.stdin.isatty():
        raise CommandError(
            f"{prompt.strip(': ')} needed: give it as a file option (no terminal to ask)"
        )
    return getpass.getpass(prompt)


_COMMANDS: dict[str, Handler] = {
    "init": _init,
    "serve": _serve,
    "purge": _purge,
    "doctor": _doctor,
    "stats": _stats,
    "flows": _flows,
    "team": _team,
    "counsellor": _counsellor,
    "telegram": _telegram,
}
