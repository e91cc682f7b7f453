"""JSON log lines for a log pipeline: one object per line, the request id on the lines of a
request, and still nothing a person wrote (a real service process)."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from bot import log_format
from tests.serve import Server

CANARY = "Seidenreiher-Okapi-5150-canary"


def test_a_record_is_one_json_line_with_the_request_id() -> None:
    record = logging.LogRecord("bot.x", logging.WARNING, __file__, 1, "case %s\nclosed", (7,), None)
    token = log_format.REQUEST_ID.set("a1b2c3")
    try:
        line = log_format.JsonLines().format(record)
    finally:
        log_format.REQUEST_ID.reset(token)
    assert "\n" not in line
    event = json.loads(line)
    assert event["message"] == "case 7\nclosed" and event["request_id"] == "a1b2c3"
    assert event["level"] == "WARNING" and event["logger"] == "bot.x"
    assert event["time"].endswith("+00:00")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["text", "json"])
def test_the_service_logs_in_the_chosen_format_without_content(tmp_path: Path, kind: str) -> None:
    (tmp_path / "data").mkdir(mode=0o700)
    server = Server(tmp_path / "data", ANLAUFSTELLE_LOG_FORMAT=kind)
    server.start()
    try:
        # A form post from another site, with words in it: refused and logged (not the words).
        body = urllib.parse.urlencode({"text": CANARY, "token": "x"}).encode()
        request = urllib.request.Request(  # noqa: S310 - our own local server
            server.url + "/chat",
            data=body,
            headers={"Origin": "https://elsewhere.example"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)  # noqa: S310 - our own local server
        assert refused.value.code == 403
    finally:
        server.stop()
    log = (tmp_path / "data" / f"stderr-{server.runs}.txt").read_text()
    assert CANARY not in log
    lines = [line for line in log.splitlines() if line.strip()]
    assert any("a form post from another site was refused" in line for line in lines)
    if kind == "json":
        events = [json.loads(line) for line in lines]  # every line is one JSON object
        (refusal,) = [e for e in events if "another site" in e["message"]]
        assert len(refusal["request_id"]) == 12
        assert all("request_id" not in e for e in events if "listening" in e["message"])
    else:
        assert not any(line.startswith("{") for line in lines)
