"""Health for orchestrators and load balancers.

`/livez`: the process answers (restart it if not). `/readyz`: it can do its work: the
database answers with this version's schema, and the background parts that move messages
(the delivery worker, the cross-replica listener) are running; a load balancer sends no
one here otherwise. `/healthz` stays as it was (the database answers) for older setups.
The answers name parts, never data.
"""

from __future__ import annotations

from aiohttp import web

from bot.keys import HEALTH, STORE
from bot.probes import Probes
from storage.db import DatabaseUnavailable
from storage.migrate import is_current


async def livez(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    store = request.app[STORE]
    try:
        await store.db.check()
        current = await is_current(store.db)
    except DatabaseUnavailable:
        return web.json_response({"status": "not ready", "failing": ["database"]}, status=503)
    failing = request.app[HEALTH].failing()
    if not current:
        failing.insert(0, "schema")
    if failing:
        return web.json_response({"status": "not ready", "failing": failing}, status=503)
    degraded = request.app[HEALTH].degraded()
    if degraded:
        return web.json_response({"status": "ready", "degraded": degraded})
    return web.json_response({"status": "ready"})


async def healthz(request: web.Request) -> web.Response:
    try:
        await request.app[STORE].db.check()
    except DatabaseUnavailable:
        return web.json_response({"status": "database unavailable"}, status=503)
    return web.json_response({"status": "ok"})


def add_health_routes(app: web.Application) -> None:
    app[HEALTH] = Probes()
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/healthz", healthz)
