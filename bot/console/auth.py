"""Console sessions in memory: who is logged in, their unlocked team keys, CSRF tokens.

A session lives only in this process's memory. The browser holds a random session id in a
cookie; the server maps it to the counsellor's unlocked keys (`CounsellorKeys`). Logging
out, the idle timeout or a restart drops the keys: nothing that opens a case is ever
written to disk or sent to the browser.

Cookie choice:
- served over https (directly, or behind a proxy with `console.trust_forwarded_proto`): the
  name is `__Host-console`. The `__Host-` prefix makes browsers refuse the cookie unless it
  is Secure, has no Domain and has Path=/ — so no sibling subdomain can set or overwrite it
  (cookie tossing). Path=/ is required by the prefix; that is the one deviation from
  Path=/console, and it is harmless because the cookie is HttpOnly and SameSite=Strict.
- plain http is accepted only from a loopback peer (a counsellor trying the console on
  their own machine at http://127.0.0.1): the cookie is then `console`, Path=/console,
  without Secure (a browser would drop a Secure cookie on http). Any other plain-http
  request is refused, so a misconfigured deployment cannot leak a session in clear text.

CSRF: every form carries the session's random token, compared with hmac.compare_digest;
the login and setup forms, which have no session yet, use a double-submit token (a
short-lived pre-session cookie whose value must come back in the form). SameSite=Strict
already keeps cross-site requests from carrying the cookies; the tokens are the second wall.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiohttp import web

from bot.channels.webchat import CLIENT_ADDRESS, FORWARDED_HTTPS
from storage.teams import CounsellorKeys

SECURE_COOKIE = "__Host-console"
PLAIN_COOKIE = "console"
SECURE_PRE_COOKIE = "__Host-console-pre"
PLAIN_PRE_COOKIE = "console-pre"
MAX_SESSIONS = 500


@dataclass
class ConsoleSession:
    id: str = field(repr=False)
    csrf: str = field(repr=False)
    keys: CounsellorKeys
    last_seen: datetime
    created_at: datetime

    @property
    def counsellor_id(self) -> int:
        return self.keys.counsellor_id

    @property
    def actor(self) -> str:
        return f"counsellor:{self.keys.counsellor_id}"

    def drop_keys(self) -> None:
        """Forget the unlocked team keys. Python cannot overwrite the bytes objects, but
        with the last reference gone they are freed and nothing can reach them any more."""
        self.keys.forget()


class SessionStore:
    """Console sessions by id, each ended after `idle` without a request or `lifetime` after
    its login, whichever comes first."""

    def __init__(
        self,
        idle: timedelta,
        clock: Callable[[], datetime],
        lifetime: timedelta = timedelta(hours=12),
    ) -> None:
        self.idle = idle
        self.lifetime = lifetime
        self.clock = clock
        self._sessions: OrderedDict[str, ConsoleSession] = OrderedDict()

    def create(self, keys: CounsellorKeys) -> ConsoleSession:
        self.sweep()
        while len(self._sessions) >= MAX_SESSIONS:
            _, oldest = self._sessions.popitem(last=False)
            oldest.drop_keys()
        now = self.clock()
        session = ConsoleSession(
            secrets.token_urlsafe(32), secrets.token_urlsafe(32), keys, now, now
        )
        self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None, *, touch: bool = True) -> ConsoleSession | None:
        """The live session for an id; None (and the session ended) when idle.

        `touch=False` for background polling: it must not keep an abandoned session alive."""
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        if session is None:
            return None
        now = self.clock()
        if self._over(session, now):
            self.drop(session_id)
            return None
        if touch:
            session.last_seen = now
            self._sessions.move_to_end(session_id)
        return session

    def drop(self, session_id: str) -> None:
        session = self._sessions.pop(session_id, None)
        if session is not None:
            session.drop_keys()

    def add_team_key(self, counsellor_ids: tuple[int, ...], key_id: int, private: bytes) -> None:
        """Hand a rotated team key to its members' open sessions (their next login would
        unwrap it anyway), so new cases stay readable without logging in again."""
        for session in self._sessions.values():
            if session.counsellor_id in counsellor_ids:
                session.keys.team_keys[key_id] = private

    def drop_counsellor(self, counsellor_id: int) -> None:
        for sid in [s.id for s in self._sessions.values() if s.counsellor_id == counsellor_id]:
            self.drop(sid)

    def _over(self, session: ConsoleSession, now: datetime) -> bool:
        return now - session.last_seen >= self.idle or now - session.created_at >= self.lifetime

    def sweep(self) -> int:
        """End every idle or too old session, dropping its keys (run every minute, so keys
        of a counsellor who walked away do not wait in memory for their next request)."""
        now = self.clock()
        stale = [sid for sid, s in self._sessions.items() if self._over(s, now)]
        for sid in stale:
            self.drop(sid)
        return len(stale)

    def __len__(self) -> int:
        return len(self._sessions)


def client_of(request: web.Request) -> str:
    """The client's address behind the trusted proxies (the app's middleware finds it), so
    one client behind the office's proxy cannot use up everyone's login limit."""
    return request.get(CLIENT_ADDRESS) or request.remote or "unknown"


def is_loopback(request: web.Request) -> bool:
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


def is_https(request: web.Request, trust_forwarded_proto: bool) -> bool:
    """TLS directly, or (with `console.trust_forwarded_proto`) behind a proxy listed in
    `webchat.trusted_proxies` whose X-Forwarded-Proto says https: the app's middleware
    checked the sender (`FORWARDED_HTTPS`); the header from anyone else counts for nothing."""
    if request.secure:
        return True
    return trust_forwarded_proto and request.get(FORWARDED_HTTPS) is True


@dataclass(frozen=True)
class CookiePolicy:
    """Names and attributes of the console's cookies for one request's transport."""

    secure: bool

    @property
    def session_name(self) -> str:
        return SECURE_COOKIE if self.secure else PLAIN_COOKIE

    @property
    def pre_name(self) -> str:
        return SECURE_PRE_COOKIE if self.secure else PLAIN_PRE_COOKIE

    @property
    def path(self) -> str:
        return "/" if self.secure else "/console"

    def set(self, response: web.StreamResponse, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name,
            value,
            path=self.path,
            secure=self.secure,
            httponly=True,
            samesite="Strict",
            max_age=max_age,
        )

    def clear(self, response: web.StreamResponse, name: str) -> None:
        response.del_cookie(name, path=self.path, secure=self.secure, samesite="Strict")


def tokens_match(expected: str, given: str) -> bool:
    """Constant-time comparison of two tokens; an empty token never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
