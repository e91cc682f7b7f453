"""The Rasa actions benchmark runs end to end with tiny parameters: both real servers answer
every call (a wrong status would stop it). No speed is asserted anywhere."""

from __future__ import annotations

import re

import pytest

from bench import rasa_actions


@pytest.mark.slow  # starts rasa-sdk's server and the service as processes
def test_the_rasa_benchmark_measures_both_servers_and_prints_ratios(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert rasa_actions.main(["--requests", "12", "--concurrency", "2"]) == 0
    out = capsys.readouterr().out
    for label in (
        "rasa-sdk server, trivial action",
        "mounted route, crisis action",
        "mounted route, form validation",
    ):
        ratio = rf"^{label}: \d+ req/s = \d+\.\d\d {rasa_actions.TIMES} rasa-sdk trivial"
        assert re.search(ratio, out, re.MULTILINE), label
    assert "1.00" in out.splitlines()[1]
