"""The console's preview of a flow (bot/console/flow_pages.py `preview_flow`): its handovers
are ends, whatever the flow it was made from had already worked out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.console.flow_pages import preview_flow
from dialogs.engine import new_state, offered
from dialogs.loader import load_flow
from dialogs.model import EndNode, HandoverNode

INTAKE = Path(__file__).resolve().parents[2] / "dialogs" / "flows" / "intake.yaml"
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_a_preview_of_a_flow_in_use_meets_no_handover() -> None:
    flow = load_flow(INTAKE)
    handovers = [node.id for node in flow.nodes if isinstance(node, HandoverNode)]
    assert handovers
    # What a flow in use has worked out by now: its nodes by id (the loader's checks ask
    # for them already) and a question's options.
    state = new_state(flow, "de").model_copy(update={"node": flow.start})
    offered(flow, state, NOW)
    assert all(isinstance(flow.node(i), HandoverNode) for i in handovers)
    preview = preview_flow(flow)
    assert all(isinstance(preview.node(i), EndNode) for i in handovers)
    assert preview.derived == {} and preview.derived is not flow.derived
