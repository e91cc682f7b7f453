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
import socket
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TextIO

from aiohttp import web
from sqlalchemy.exc import DBAPIError

from bot import collector, log_format, log_safety, resources
from bot.cli import translations as translations_cli
from bot.cli.bootstrap import (
    LISTEN_ADDRESS,
    KeyDoesNotFit,
    StartupError,
    check_schema,
    console_base,
    damage_reported,
    damaged,
    first_start,
    kdf_params,
    open_database,
    open_store,
    server_key,
    setup_url,
    shipped_flows,
)
from bot.cli.simulate import first_start_notice, simulate
from bot.cli.telegram import TelegramCommandError, delete_webhook, set_webhook
from bot.cli.workers import (
    SettingsChanged,
    Workers,
    check_settings_unchanged,
    settings_digest,
    watch_first_process,
)
from bot.clock import SystemClock
from bot.console.statistics import SMALL_CELL, suppress
from bot.conversation.flows import UnknownTeam, publish_files
from bot.metrics_http import MetricsListenError
from bot.office import housekeeping, legal
from bot.office.config import OfficeConfig
from bot.settings import Settings, SettingsError, load_settings, read_secret_file
from dialogs import translations
from dialogs.diagram import mermaid
from dialogs.errors import FlowErrors
from dialogs.loader import load_flow
from dialogs.model import Flow
from storage import meta, stats, teams
from storage.crypto import PRODUCTION_FLOOR, ServerKey
from storage.db import Database, is_damage
from storage.migrate import exclusive_start
from storage.store import Store
from storage.teams import TeamError

EXIT_USAGE = 2
EXIT_FAILURE = 1

log = logging.getLogger("anlaufstelle")


class CommandError(Exception):
    """A command failed in a way the user can act on; printed as one line."""


CONFIG_HELP = "TOML settings file (default: $ANLAUFSTELLE_CONFIG, else built-in defaults)"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="anlaufstelle",
        description="Anonymous intake for counselling offices. Settings come from a TOML file "
        "(--config) and ANLAUFSTELLE_* environment variables, which win over the file.",
    )
    p.add_argument(
        "--config", type=Path, default=os.environ.get("ANLAUFSTELLE_CONFIG"), help=CONFIG_HELP
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser(
        "init", help="create the server key, the database and a demo team and counsellor"
    )
    serve = sub.add_parser("serve", help="run the service (creates everything on the first start)")
    _listen_options(serve)
    serve.add_argument(
        "--workers",
        type=_workers,
        help="processes serving the port together, one core each (default: the workers "
        "setting, 1; more than one needs PostgreSQL)",
    )
    # How `serve --workers` starts its other processes: INDEX:FIRST_PID.
    serve.add_argument("--worker", type=_worker, help=argparse.SUPPRESS)
    sub.add_parser(
        "purge",
        help="close idle bot conversations, wipe their answers and delete cases past the "
        "retention period, now",
    )
    doctor = sub.add_parser(
        "doctor",
        help="show the settings in effect and check secret files, server key, database and "
        "flows; changes nothing",
    )
    # The same as serve's, so doctor shows the address a `serve --port ...` answers on.
    _listen_options(doctor)
    sub.add_parser("stats", help="print the anonymous statistics (counts below 5 hidden)")

    flows = sub.add_parser("flows", help="validate, simulate, draw and publish dialog flows")
    fsub = flows.add_subparsers(dest="flows_command", required=True, metavar="COMMAND")
    v = fsub.add_parser("validate", help="check flow files; errors as file:line:column")
    v.add_argument("files", nargs="+", type=Path, help="flow YAML files")
    s = fsub.add_parser("simulate", help="play a flow in the terminal through the real service")
    s.add_argument("file", type=Path, help="flow YAML file")
    s.add_argument("--lang", default="de", help="language to play (default: de)")
    d = fsub.add_parser("diagram", help="print a Mermaid diagram of a flow")
    d.add_argument("file", type=Path, help="flow YAML file")
    d.add_argument("--lang", default=None, help="language of the labels (default: the first)")
    pub = fsub.add_parser("publish", help="publish a flow file as the next version")
    pub.add_argument("file", type=Path, help="flow YAML file")
    translations_cli.add_parsers(fsub)

    rasa = sub.add_parser("rasa", help="the optional Rasa integration")
    rsub = rasa.add_subparsers(dest="rasa_command", required=True, metavar="COMMAND")
    ra = rsub.add_parser(
        "actions",
        help="serve our Rasa custom actions on rasa-sdk's own server (loopback by default)",
    )
    ra.add_argument("--host", default=None, help="listen address (default: rasa.actions_host)")
    ra.add_argument("--port", type=_port, default=None, help="port (default: rasa.actions_port)")

    team = sub.add_parser("team", help="manage teams")
    tsub = team.add_subparsers(dest="team_command", required=True, metavar="COMMAND")
    ta = tsub.add_parser("add", help="create a team; prints its recovery key once")
    ta.add_argument("team_id", help="short id used in settings and flows, e.g. region")
    ta.add_argument("name", help="the team's name as counsellors see it")
    ts = tsub.add_parser(
        "seal-recovery",
        help="for a team made before version 0006 of the database: let its key be rotated "
        "when an account closes (needs its recovery key)",
    )
    ts.add_argument("team_id", help="the team's id")
    ts.add_argument(
        "--recovery-key-file",
        type=Path,
        help="file holding the team's recovery key (else prompted)",
    )

    tg = sub.add_parser("telegram", help="the Telegram bot's webhook")
    tgsub = tg.add_subparsers(dest="telegram_command", required=True, metavar="COMMAND")
    tgsub.add_parser(
        "set-webhook", help="register telegram.webhook_url and the secret token at Telegram"
    )
    tgsub.add_parser("delete-webhook", help="remove the webhook (for polling)")

    counsellor = sub.add_parser("counsellor", help="manage counsellors")
    csub = counsellor.add_subparsers(dest="counsellor_command", required=True, metavar="COMMAND")
    ca = csub.add_parser("add", help="create a counsellor account in a team")
    ci = csub.add_parser(
        "invite", help="create an account with a one-time setup link (valid 72 hours)"
    )
    for account in (ca, ci):
        account.add_argument("username", help="the new account's login name")
        account.add_argument("--team", required=True, help="id of the team to join")
        account.add_argument(
            "--role",
            choices=["counsellor", "admin"],
            default="counsellor",
            help="admin may also change settings and accounts (default: counsellor)",
        )
        account.add_argument(
            "--recovery-key-file",
            type=Path,
            help="file holding the team's recovery key (else prompted)",
        )
    ca.add_argument(
        "--password-file", type=Path, help="file holding the new password (else prompted)"
    )
    for _, parser in subcommands(p):
        # --config after the subcommand too; SUPPRESS keeps the value given before it.
        parser.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=CONFIG_HELP)
    return p


def _listen_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="listen address (default: the host setting, 127.0.0.1)")
    parser.add_argument("--port", type=_port, help="listen port (default: the port setting, 8080)")


def subcommands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every subcommand's parser, depth first, with its words (e.g. ("flows", "validate"))."""
    found = []
    for action in parser._actions:  # argparse offers no public way to walk its subparsers
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found.append(((*path, name), child))
                found.extend(subcommands(child, (*path, name)))
    return found


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is not between 1 and 65535")
    return port


def _workers(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of workers: {text!r}") from None
    if not 1 <= count <= 64:
        raise argparse.ArgumentTypeError(f"{count} workers: choose between 1 and 64")
    return count


def _worker(text: str) -> tuple[int, int]:
    index, _, first = text.partition(":")
    try:
        return int(index), int(first)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not INDEX:PID: {text!r}") from None


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
        if args.command in ("serve", "doctor"):
            # The command line wins over the environment and the file, as operators expect.
            chosen = {
                "host": args.host,
                "port": args.port,
                "workers": getattr(args, "workers", None),
            }
            settings = settings.model_copy(
                update={k: v for k, v in chosen.items() if v is not None}
            )
        _configure_logging(settings.log_level, settings.log_format)
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
        MetricsListenError,
        SettingsChanged,
    ) as exc:
        print(f"anlaufstelle: error: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, SettingsError) else EXIT_FAILURE
    except FlowErrors as exc:
        for err in exc.errors:
            print(str(err), file=sys.stderr)
        return EXIT_FAILURE
    except DBAPIError as exc:
        # A damaged page that a command runs into after the start-up checks passed.
        if not is_damage(exc):
            raise
        said = damaged(f"the database is damaged ({exc.orig})")
        print(f"anlaufstelle: error: {said}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130


def _configure_logging(level: str, kind: str = "text") -> None:
    # Log lines carry ids and counts only; no handler here ever formats message content.
    # Values from outside in them (a chat type, an action name) cannot break a line.
    log_safety.install()
    handler = logging.StreamHandler()
    handler.setFormatter(log_format.formatter(kind))
    logging.basicConfig(level=level, handlers=[handler])
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
    schema: list[str] = []

    def migrated(before: str | None, after: str | None) -> None:
        schema.append(_migration_said(before, after))

    store, first = await open_store(settings, create=True, migrated=migrated)
    await store.close()
    if first is None:
        out.write(f"Already initialised: {store.db.safe_url}\n")
        out.writelines(f"{line}\n" for line in schema)
    else:
        out.writelines(f"{line}\n" for line in schema)
        out.write(first_start_notice(first))
    return 0


def _migration_said(before: str | None, after: str | None) -> str:
    """What `init` did to the schema, in the words of docs/operations.md (Upgrades)."""
    if before is None:
        return f"Database created with schema version {after}."
    if before == after:
        return f"Database schema version {after}: already up to date, nothing migrated."
    return f"Database migrated from schema version {before} to {after}."


async def _serve(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from bot.app import create_app

    worker: tuple[int, int] | None = args.worker
    if settings.workers > 1:
        _check_workers(settings)
    if worker is not None:
        # From the first moment, not once it serves: a Ctrl+C in the terminal reaches every
        # process of the group, and a worker still starting would die of it and be started
        # again while the first process stops them all.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        check_settings_unchanged(settings)
        settings = _as_worker(settings, worker[0])
    elif settings.workers > 1:
        _port_is_free(settings.host, settings.port)
    clock = SystemClock()

    def migrated(before: str | None, after: str | None) -> None:
        # An upgrade's migration is named in the journal; a start with nothing to do is quiet.
        if before is not None and before != after:
            out.write(_migration_said(before, after) + "\n")

    store, _ = await open_store(
        settings, create=True, first_start=False, clock=clock, migrated=migrated
    )
    try:
        # Bound, not yet listening: the port is ours before the first start makes secrets,
        # and nobody is served before they are printed.
        sockets = _bind(settings.host, settings.port, reuse_port=settings.workers > 1)
        try:
            base = console_base(settings)
            if worker is None:
                await _first_start_and_flows(store, settings, base, out)
            app = create_app(settings, store, clock=clock)
            runner = web.AppRunner(app, access_log=None)
            workers = None
            collecting: asyncio.Task[None] | None = None
            try:
                await runner.setup()  # in the try: a failed start still leaves what it began
                # Before the first connection: nothing of anyone's is frozen with the start-up.
                collector.settle_after_start()
                collecting = asyncio.create_task(collector.collect_now_and_then(), name="gc")
                for sock in sockets:
                    await web.SockSite(runner, sock).start()
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for signum in (signal.SIGTERM, signal.SIGINT):
                    # A container stop (SIGTERM) shuts down as cleanly as Ctrl+C.
                    loop.add_signal_handler(signum, stop.set)
                if worker is not None:
                    # The first process stops the workers; one stopping on a stray Ctrl+C
                    # would be restarted on the way down.
                    loop.add_signal_handler(signal.SIGINT, lambda: None)
                    await watch_first_process(worker[1], stop)
                    return 0
                _say_running(settings, base, out)
                if settings.workers > 1:
                    argv = _worker_argv(settings, args)
                    digest = settings_digest(settings)
                    workers = Workers(argv, settings.workers, clock.monotonic, digest)
                    workers.start()
                    await _first_of(stop.wait(), workers.failed.wait())
                else:
                    await stop.wait()
                out.write("Stopping.\n")
            finally:
                if collecting is not None:
                    collecting.cancel()
                await asyncio.gather(
                    *([workers.stop()] if workers is not None else []), runner.cleanup()
                )
            if workers is not None and workers.failed.is_set():
                raise CommandError(workers.error)
        finally:
            for sock in sockets:
                sock.close()
    finally:
        await store.close()
    return 0


async def _first_start_and_flows(store: Store, settings: Settings, base: str, out: TextIO) -> None:
    first = await first_start(store, settings)
    if first is not None:
        out.write(first_start_notice(first))
        out.flush()
    # After the first start: the shipped flow hands over to the demo team. One replica at a
    # time: two starting together would publish the same version twice.
    async with exclusive_start(store.db):
        await publish_files(store, shipped_flows(settings), at_start=True)
        async with store.tx() as tx:
            await meta.put(tx, LISTEN_ADDRESS, base)


def _say_running(settings: Settings, base: str, out: TextIO) -> None:
    out.write(f"Anlaufstelle is running on {base}/ (Ctrl+C stops it)\n")
    if settings.workers > 1:
        out.write(f"  Workers: {settings.workers} processes\n")
    if settings.webchat.enabled:
        out.write(f"  Web chat: {base}/chat\n")
    if settings.telegram.enabled:
        out.write(f"  Telegram: {settings.telegram.mode}\n")
    out.flush()


def _check_workers(settings: Settings) -> None:
    """Refuse what several processes cannot share, before anything is opened or bound."""
    if settings.resolved_database_url.startswith("sqlite"):
        raise CommandError(
            "several workers need PostgreSQL (database_url): an SQLite database is served "
            "by one process"
        )
    if settings.console.enabled:
        raise CommandError(
            "several workers need the console off (console.enabled = false): its logins live "
            "in one process; serve the console from a `serve` of its own"
        )
    if settings.telegram.enabled and settings.telegram.mode == "polling":
        raise CommandError(
            "several workers need Telegram in webhook mode: only one process may poll Telegram"
        )
    last = settings.metrics.port + settings.workers - 1
    if settings.metrics.enabled and last > 65535:
        raise CommandError(
            f"metrics ports {settings.metrics.port}..{last} (one per worker) go beyond 65535"
        )


def _port_is_free(host: str, port: int) -> None:
    """Workers share the port (SO_REUSEPORT), which would also let a second service started
    by mistake share it silently: refuse a port anything holds, as a single process would."""
    for sock in _bind(host, port):
        sock.close()


def _as_worker(settings: Settings, index: int) -> Settings:
    """A worker's settings: its metrics on a port of its own (metrics.port + index)."""
    metrics = settings.metrics.model_copy(update={"port": settings.metrics.port + index})
    return settings.model_copy(update={"metrics": metrics})


def _worker_argv(settings: Settings, args: argparse.Namespace) -> list[str]:
    """What a worker is started with: the same settings file and listen address (the command
    line's, which win over the file and the environment the worker inherits)."""
    argv = ["serve", "--host", settings.host, "--port", str(settings.port)]
    argv += ["--workers", str(settings.workers)]
    if args.config is not None:
        argv += ["--config", str(args.config)]
    return argv


async def _first_of(*waits: Coroutine[Any, Any, Any]) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def _bind(host: str, port: int, *, reuse_port: bool = False) -> list[socket.socket]:
    """One bound socket per address of `host` (as asyncio's create_server would make); with
    `reuse_port` each worker binds its own and the kernel spreads connections over them."""
    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise CommandError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        raise CommandError(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    return sockets


async def _purge(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    store, _ = await open_store(settings, create=False)
    try:
        # The retention period an admin set in the console wins over the file, as in `serve`.
        retention = (await OfficeConfig(settings, store).refresh()).retention_days
        swept = await housekeeping.sweep(
            store,
            idle_hours=settings.state_idle_hours,
            retention_days=retention,
            now=store.clock(),
        )
    finally:
        await store.close()
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
        await store.close()
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
    """Show the settings in effect and check everything they name, changing nothing: no
    database file, schema, key or data directory is created (`open_store(create=False)`)."""
    problems: list[str] = []

    def problem(text: str) -> None:
        if text not in problems:  # a secret file's problem shows once, not per check
            problems.append(text)

    out.write("settings in effect:\n")
    for name, value in settings.summary(args.config):
        out.write(f"  {name + ':':<18}{value}\n")
    out.write("checks:\n")
    out.write(f"  {resources.doctor_line(settings.webchat.max_sockets)}\n")
    for name, path in settings.secret_files():
        try:
            if not read_secret_file(path, name):
                problem(f"{name}: {path} is empty")
                continue
        except SettingsError as exc:
            problem(str(exc))
            continue
        out.write(f"  secret file {name} ({path}): ok\n")
    for _, read in settings.required_secrets():
        try:
            read()
        except SettingsError as exc:
            problem(str(exc))
    key: ServerKey | None = None
    try:
        key = server_key(settings, create=False)
    except StartupError as exc:
        problem(str(exc))
    # The key is "ok" only once the database has accepted it as its own; until then it is
    # only a readable file, and a key of another installation reads just as well.
    try:
        await _doctor_database(settings, key, out, problem)
    except (StartupError, SettingsError) as exc:
        problem(str(exc))
    for path in shipped_flows(settings):
        try:
            load_flow(path)
        except FlowErrors as exc:
            for err in exc.errors:
                problem(str(err))
        else:
            out.write(f"  flow {path}: ok\n")
    # Missing legal pages do not stop the service (a test install needs none), but an
    # office must not go live without them: warned, not failed.
    for gap in legal.gaps(settings):
        out.write(f"  warning: {gap.what_en} is not configured (set {gap.setting})\n")
    if kdf_params(settings).weaker_than(PRODUCTION_FLOOR):
        out.write(
            "  warning: kdf_memory_kib/kdf_time_cost are below Argon2id's recommended minimum "
            f"({PRODUCTION_FLOOR.memory_cost_kib} KiB, {PRODUCTION_FLOOR.time_cost} passes): "
            "case codes and passwords could be guessed quickly from a database copy\n"
        )
    for text in problems:
        print(f"anlaufstelle: error: {text}", file=sys.stderr)
    return EXIT_FAILURE if problems else 0


async def _doctor_database(
    settings: Settings, key: ServerKey | None, out: TextIO, problem: Callable[[str], None]
) -> None:
    """Doctor's database lines: the key checked against it, its schema and every page."""
    if key is None:
        # Without the key the database can still be found, but not checked against it.
        db = await open_database(settings, create=False)
        try:
            await check_schema(db)
            damage = await db.quick_check()
        finally:
            await db.dispose()
        if not _damaged_pages(db, damage, problem):
            out.write(f"  database: found ({db.backend}, schema current), key not checked\n")
            _say_pages_ok(damage, out)
        return
    try:
        store, _ = await open_store(settings, create=False)
    except KeyDoesNotFit:
        raise
    except StartupError:
        out.write(
            f"  server key: readable ({key.fingerprint()}), not checked: "
            "the database could not be opened\n"
        )
        raise
    db = store.db
    out.write(f"  server key: ok ({key.fingerprint()}), the one this database was made with\n")
    try:
        # Every page first: a damaged one is the news, whatever else reads.
        damage = await db.quick_check()
        if _damaged_pages(db, damage, problem):
            return
        with damage_reported(db):
            office = await OfficeConfig(settings, store).refresh()
            async with store.read() as tx:
                listened = await meta.get(tx, LISTEN_ADDRESS)
    finally:
        await store.close()
    out.write(f"  database: ok ({db.backend}, schema current)\n")
    _say_pages_ok(damage, out)
    if office.overrides:
        out.write(
            f"    changed in the console: {', '.join(sorted(office.overrides))} "
            f"(retention now {office.retention_days} days)\n"
        )
    _say_where_served(settings, listened, out)


def _damaged_pages(db: Database, damage: list[str] | None, problem: Callable[[str], None]) -> bool:
    """Report what quick_check found, if anything; True when the database is damaged."""
    if not damage:
        return False
    more = f"; {len(damage) - 1} more problems" if len(damage) > 1 else ""
    problem(damaged(db.damaged(f"{damage[0]}{more}")))
    return True


def _say_pages_ok(damage: list[str] | None, out: TextIO) -> None:
    if damage is not None:  # None: PostgreSQL, not checked
        out.write("  database pages: ok (SQLite quick_check read every page)\n")


def _say_where_served(settings: Settings, listened: str | None, out: TextIO) -> None:
    """The address `serve` last answered on, when it is not the one doctor was given: the
    service was started with --host/--port or other settings than this doctor's."""
    if listened is None or settings.console.public_url:
        return  # with a public URL, serve records that, not where it listened
    if listened != console_base(settings):
        out.write(
            f"  note: the service last listened on {listened}/, not on the listen address "
            "above: it was started with other settings or --host/--port; give doctor the "
            "same ones to check those\n"
        )


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
        await store.close()
    out.write(f"flow {version.flow_id}: version {version.number} is published\n")
    out.write(translation_warning(load_flow(args.file), args.file))
    return 0


def translation_warning(flow: Flow, path: Path) -> str:
    """What the console's publish step asks to confirm, said after a publication from the
    command line ('' when every translation is present and up to date)."""
    gaps = translations.gaps(flow)
    if not gaps:
        return ""
    s = "" if gaps.texts == 1 else "s"
    langs = len(gaps.languages)
    lines = [
        f"warning: {gaps.texts} text{s} in {langs} language{'' if langs == 1 else 's'} "
        f"{'is' if gaps.texts == 1 else 'are'} outdated or missing; people using "
        "these languages see the old text (outdated) or the "
        f"{flow.default_language} text (missing):"
    ]
    for lang, per in gaps.languages.items():
        old, absent = per[translations.Status.OUTDATED], per[translations.Status.MISSING]
        lines.append(f"  {lang}: {old} outdated, {absent} missing")
    lines.append(f"  details: anlaufstelle flows translations {path}")
    return "\n".join(lines) + "\n"


async def _team(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    if args.team_command == "seal-recovery":
        return await _seal_recovery(settings, args, out)
    store, _ = await open_store(settings, create=False)
    try:
        async with store.tx() as tx:
            created = await teams.create_team(tx, args.team_id, args.name)
    finally:
        await store.close()
    out.write(
        f"Team {created.team_id!r} created. Its recovery key, shown only now — write it on paper "
        f"and keep it offline:\n  {created.recovery_key}\n"
    )
    return 0


async def _seal_recovery(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    recovery = _secret(args.recovery_key_file, f"Recovery key of team {args.team_id}: ")
    store, _ = await open_store(settings, create=False)
    try:
        async with store.tx() as tx:
            changed = await teams.seal_recovery_wraps(tx, args.team_id, recovery)
    finally:
        await store.close()
    if changed:
        out.write(
            f"Team {args.team_id!r}: its keys are sealed to the recovery key; closing an "
            "account now gives the team a new key.\n"
        )
    else:
        out.write(f"Team {args.team_id!r} had sealed recovery wraps already; nothing changed.\n")
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
        # Argon2id twice, outside the write transaction: a running service's writers (every
        # person's message on SQLite) never wait for it.
        made = await teams.new_password(password, store.kdf)
        async with store.tx() as tx:
            keys = await teams.unlock_with_recovery_key(tx, args.team, recovery)
            await teams.add_counsellor(
                tx, args.username, made, role=args.role, teams={args.team: keys}
            )
    finally:
        await store.close()
    out.write(f"Counsellor {args.username!r} added to team {args.team!r}.\n")
    return 0


async def _invite(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    recovery = _secret(args.recovery_key_file, f"Recovery key of team {args.team}: ")
    store, _ = await open_store(settings, create=False)
    try:
        async with store.tx() as tx:
            keys = await teams.unlock_with_recovery_key(tx, args.team, recovery)
            token = await teams.invite_counsellor(tx, args.username, args.role, {args.team: keys})
            listened = await meta.get(tx, LISTEN_ADDRESS)
    finally:
        await store.close()
    hours = int(teams.SETUP_VALIDITY.total_seconds() // 3600)
    # This shell's host and port may be defaults while the service runs elsewhere: without
    # a public URL, the address the service itself last listened on is the better guess.
    base = settings.console.public_url or listened or console_base(settings)
    out.write(
        f"Counsellor {args.username!r} invited to team {args.team!r}. Give them this one-time "
        f"setup link (valid {hours} hours) in person or another trusted way:\n"
        f"  {setup_url(settings, token, base)}\n"
    )
    if not settings.console.public_url:
        out.write(
            f"Note: console.public_url is not set, so the link uses {base}, where the service "
            "last listened; counsellors on other machines need the public address: set "
            "console.public_url (ANLAUFSTELLE_CONSOLE__PUBLIC_URL), e.g. "
            "https://beratung.example.org\n"
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
