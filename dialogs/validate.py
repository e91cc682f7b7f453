"""Semantic checks of a flow that pydantic cannot express: references, reachability,
translations, placeholders, conditions and routing.

`validate_flow` returns every problem at once, each at the file:line:column of the offending
item. The graph helpers (`edges`, `analyse`) are the one implementation of the flow graph;
the diagram and the engine's callers reuse them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from dialogs.crisis import phrase
from dialogs.errors import FlowError, Path, SourceMap
from dialogs.model import (
    ANY_LANGUAGE,
    CHANNEL_PLACEHOLDERS,
    HANDOVER_PLACEHOLDERS,
    INPUT_NODES,
    OPTIONAL_UI_TEXTS,
    PLACEHOLDER,
    PLACEHOLDERS,
    SHORT_LABEL_MAX,
    UI_TEXTS,
    WHEN_BUCKETS,
    BranchNode,
    Condition,
    ConsentNode,
    CrisisCheckNode,
    EndNode,
    Flow,
    FreeTextNode,
    HandoverNode,
    MessageNode,
    MultiChoiceNode,
    Node,
    SingleChoiceNode,
    Text,
    WhenNode,
    YesNoNode,
    node_texts,
)

TERMINAL_NODES = (HandoverNode, EndNode)
PASSIVE_NODES = (MessageNode, BranchNode)
"""Nodes the engine passes through without waiting for the person."""

WHEN_DATE = "date"
"""Bucket of a `when` answer that holds a typed date."""

# ---------------------------------------------------------------- the flow graph


@dataclass(frozen=True)
class Edge:
    """One transition the engine can take from `source` to `target`."""

    source: str
    target: str
    path: Path
    """Where the reference to `target` is written, from the document root."""
    label: Text | None = None
    """Choice label, yes/no or accept/decline text, when the transition follows an answer."""
    conditions: tuple[Condition, ...] = ()
    """Branch case conditions (all must hold)."""
    otherwise: bool = False
    """The branch's fallback."""


def node_edges(index: int, node: Node) -> list[Edge]:
    """The transitions of `node`, which is `flow.nodes[index]`."""
    at: Path = ("nodes", index)
    match node:
        case MessageNode() | MultiChoiceNode() | FreeTextNode() | WhenNode() | CrisisCheckNode():
            return [Edge(node.id, node.next, (*at, "next"))]
        case SingleChoiceNode():
            return _single_choice_edges(at, node)
        case YesNoNode():
            return [
                Edge(node.id, node.on_yes, (*at, "on_yes"), node.yes),
                Edge(node.id, node.on_no, (*at, "on_no"), node.no),
            ]
        case ConsentNode():
            return [
                Edge(node.id, node.next, (*at, "next"), node.accept),
                Edge(node.id, node.on_decline, (*at, "on_decline"), node.decline),
            ]
        case BranchNode():
            cases = [
                Edge(node.id, case.next, (*at, "cases", k, "next"), conditions=tuple(case.when))
                for k, case in enumerate(node.cases)
            ]
            return [*cases, Edge(node.id, node.otherwise, (*at, "otherwise"), otherwise=True)]
        case HandoverNode() | EndNode():
            return []


def _single_choice_edges(at: Path, node: SingleChoiceNode) -> list[Edge]:
    out: list[Edge] = []
    for j, choice in enumerate(node.choices):
        if choice.next is not None:
            out.append(Edge(node.id, choice.next, (*at, "choices", j, "next"), choice.label))
        elif node.next is not None:
            out.append(Edge(node.id, node.next, (*at, "next"), choice.label))
    return out


def edges(flow: Flow) -> list[Edge]:
    """Every transition of the flow, in node order."""
    return [e for i, node in enumerate(flow.nodes) for e in node_edges(i, node)]


def _references(flow: Flow) -> Iterator[tuple[Path, str]]:
    """Every node id written in the flow, also those the engine never follows."""
    yield ("start",), flow.start
    for e in edges(flow):
        yield e.path, e.target
    for i, node in enumerate(flow.nodes):
        # A node-level `next` is unused when every choice has its own; still a reference.
        if (
            isinstance(node, SingleChoiceNode)
            and node.next is not None
            and all(c.next is not None for c in node.choices)
        ):
            yield ("nodes", i, "next"), node.next


@dataclass(frozen=True)
class Reachability:
    reachable: frozenset[str]
    """Nodes the engine can enter from `start`."""
    dead_ends: frozenset[str]
    """Nodes from which no handover or end node can be reached."""


def _successors(flow: Flow) -> dict[str, set[str]]:
    known = {n.id for n in flow.nodes}
    succ: dict[str, set[str]] = {n.id: set() for n in flow.nodes}
    for e in edges(flow):
        if e.target in known:
            succ[e.source].add(e.target)
    return succ


def _closure(start: Sequence[str], neighbours: dict[str, set[str]]) -> set[str]:
    """All nodes reachable from `start` (inclusive) following `neighbours`."""
    seen = set(start)
    queue = deque(start)
    while queue:
        for nxt in neighbours.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _reverse(succ: dict[str, set[str]]) -> dict[str, set[str]]:
    pred: dict[str, set[str]] = {n: set() for n in succ}
    for src, targets in succ.items():
        for t in targets:
            pred[t].add(src)
    return pred


def analyse(flow: Flow) -> Reachability:
    """Which nodes can be reached from `start`, and which can never finish."""
    succ = _successors(flow)
    starts = [flow.start] if flow.start in succ else []
    terminals = [n.id for n in flow.nodes if isinstance(n, TERMINAL_NODES)]
    finishing = _closure(terminals, _reverse(succ))
    return Reachability(
        reachable=frozenset(_closure(starts, succ)),
        dead_ends=frozenset(set(succ) - finishing),
    )


def _passive_loops(flow: Flow) -> list[list[str]]:
    """Cycles made only of message and branch nodes: the engine would spin in them forever."""
    passive = {n.id for n in flow.nodes if isinstance(n, PASSIVE_NODES)}
    succ = {
        n: {t for t in ts if t in passive} for n, ts in _successors(flow).items() if n in passive
    }
    pred = _reverse(succ)
    loops: list[list[str]] = []
    done: set[str] = set()
    for node in flow.nodes:
        if node.id not in passive or node.id in done:
            continue
        # The strongly connected component of the node: reachable both ways.
        component = _closure([node.id], succ) & _closure([node.id], pred)
        done |= component
        if len(component) > 1 or node.id in succ[node.id]:
            loops.append([n.id for n in flow.nodes if n.id in component])
    return loops


# ---------------------------------------------------------------- the checks


def validate_flow(flow: Flow, positions: SourceMap | None = None) -> list[FlowError]:
    """Every semantic problem of `flow`, in document order.

    `positions` comes from the loader; without it (a flow built in code) every error is
    reported at line 1, column 1 of `<flow ID>`.
    """
    src = positions if positions is not None else SourceMap(f"<flow {flow.id}>")
    checker = _Checker(flow, src)
    checker.run()
    return sorted(checker.errors, key=lambda e: (e.line, e.column, e.message))


class _Checker:
    def __init__(self, flow: Flow, src: SourceMap) -> None:
        self.flow = flow
        self.src = src
        self.errors: list[FlowError] = []
        self.languages = set(flow.languages)

    def error(self, path: Path, code: str, *, key: bool = False, **params: str | int) -> None:
        self.errors.append(self.src.error(path, code, key=key, **params))

    def run(self) -> None:
        self.check_languages()
        self.check_node_ids()
        if self.check_references():
            # A broken reference cuts the graph: every node behind it would be reported as
            # unreachable and every node before it as a dead end, burying the one real
            # cause under dozens of consequences. Those are checked once it is mended.
            self.check_loops()
        else:
            self.check_graph()
        self.check_texts()
        self.check_ui()
        self.check_crisis_words()
        self.check_talk_now()
        self.check_translation_sources()
        for i, node in enumerate(self.flow.nodes):
            self.check_node(i, node)
        self.check_store_keys()

    # -- flow level

    def check_languages(self) -> None:
        seen: set[str] = set()
        for j, lang in enumerate(self.flow.languages):
            if lang in seen:
                self.error(("languages", j), "language_twice", language=lang)
            if lang == ANY_LANGUAGE:
                self.error(("languages", j), "any_language_listed")
            seen.add(lang)
        if self.flow.default_language not in self.languages:
            self.error(
                ("default_language",),
                "default_language_unknown",
                language=self.flow.default_language,
                languages=", ".join(self.flow.languages),
            )
        listed: set[str] = set()
        for j, lang in enumerate(self.flow.unreviewed):
            if lang in listed:
                self.error(("unreviewed", j), "language_twice", language=lang)
            elif lang not in self.languages:
                self.error(("unreviewed", j), "language_undeclared", language=lang)
            elif lang == self.flow.default_language:
                self.error(("unreviewed", j), "unreviewed_default", language=lang)
            listed.add(lang)

    def check_node_ids(self) -> None:
        first: dict[str, int] = {}
        for i, node in enumerate(self.flow.nodes):
            if node.id in first:
                line = self.src.at(("nodes", first[node.id], "id")).line
                self.error(("nodes", i, "id"), "duplicate_node_id", node=node.id, line=line)
            else:
                first[node.id] = i

    def check_references(self) -> bool:
        """Whether any reference names a node that does not exist."""
        known = {n.id for n in self.flow.nodes}
        broken = False
        # Choices without their own next share the node's: one reference, one error.
        for path, target in dict(_references(self.flow)).items():
            if target not in known:
                self.error(path, "unknown_node", target=target)
                broken = True
        return broken

    def check_graph(self) -> None:
        result = analyse(self.flow)
        reported: set[str] = set()
        for i, node in enumerate(self.flow.nodes):
            if node.id in reported:
                continue
            reported.add(node.id)
            if node.id not in result.reachable:
                self.error(("nodes", i, "id"), "unreachable", node=node.id, start=self.flow.start)
            if node.id in result.dead_ends:
                self.error(("nodes", i, "id"), "dead_end", node=node.id)
        self.check_loops()

    def check_loops(self) -> None:
        index = {n.id: i for i, n in reversed(list(enumerate(self.flow.nodes)))}
        for loop in _passive_loops(self.flow):
            self.error(
                ("nodes", index[loop[0]], "id"),
                "passive_loop",
                loop=" -> ".join([*loop, loop[0]]),
            )

    # -- texts

    def texts(self) -> Iterator[tuple[Path, Text, bool, bool]]:
        """Every text of the flow: (path, text, may use handover placeholders, is a node's
        text and so may use channel placeholders)."""
        yield ("title",), self.flow.title, False, False
        for key, text in self.flow.ui.items():
            yield ("ui", key), text, False, False
        yield ("crisis", "message"), self.flow.crisis.message, False, False
        talk_now = self.flow.crisis.talk_now
        if talk_now is not None:
            for key in ("talk", "go_on", "open", "closed", "code_shown"):
                # What happens next may give the case code, created at that moment.
                handover = key in ("open", "closed")
                yield ("crisis", "talk_now", key), getattr(talk_now, key), handover, handover
        for i, node in enumerate(self.flow.nodes):
            for _, rel, text in node_texts(node):
                yield (
                    ("nodes", i, *rel),
                    text,
                    isinstance(node, TERMINAL_NODES) and rel == ("text",),
                    rel == ("text",),
                )

    def check_texts(self) -> None:
        for path, text, handover, node_text in self.texts():
            self.check_translations(path, text)
            for lang, value in text.items():
                if not value.strip():
                    # A question or a button without words: the person sees an empty bubble.
                    self.error((*path, lang), "empty_text", language=lang)
                    continue
                self.check_placeholders((*path, lang), value, handover, node_text)
                if path[-1] == "short" and len(value) > SHORT_LABEL_MAX:
                    self.error(
                        (*path, lang),
                        "short_label_too_long",
                        max=SHORT_LABEL_MAX,
                        length=len(value),
                    )

    def check_translations(self, path: Path, text: Text) -> None:
        if ANY_LANGUAGE in text:
            if len(text) > 1:
                self.error((*path, ANY_LANGUAGE), "any_language_mixed", key=True)
            return
        missing = [lang for lang in self.flow.languages if lang not in text]
        if missing:
            self.error(path, "missing_translation", languages=", ".join(missing))
        for lang in text:
            if lang not in self.languages:
                self.error((*path, lang), "language_undeclared", key=True, language=lang)

    def check_placeholders(self, path: Path, value: str, handover: bool, node_text: bool) -> None:
        for match in PLACEHOLDER.finditer(value):
            name = match.group(1)
            if name not in PLACEHOLDERS:
                allowed = ", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS))
                self.error(path, "unknown_placeholder", name=name, known=allowed)
            elif name in CHANNEL_PLACEHOLDERS:
                if not node_text:
                    self.error(path, "channel_placeholder_not_allowed", name=name)
            elif name in HANDOVER_PLACEHOLDERS and not handover:
                self.error(path, "placeholder_not_allowed", name=name)
        rest = PLACEHOLDER.sub("", value)
        if "{" in rest or "}" in rest:
            self.error(path, "literal_braces")

    def check_ui(self) -> None:
        missing = [k for k in UI_TEXTS if k not in self.flow.ui]
        if missing:
            self.error(("ui",), "ui_missing", names=", ".join(missing))
        known = UI_TEXTS + OPTIONAL_UI_TEXTS
        for key in self.flow.ui:
            if key not in known:
                self.error(
                    ("ui", key), "unknown_ui_text", key=True, name=key, known=", ".join(known)
                )

    def check_talk_now(self) -> None:
        talk_now = self.flow.crisis.talk_now
        if talk_now is None:
            return
        node = self.flow.nodes_by_id.get(talk_now.handover)
        if not isinstance(node, HandoverNode):
            self.error(
                ("crisis", "talk_now", "handover"),
                "talk_now_not_handover",
                target=talk_now.handover,
            )

    def check_crisis_words(self) -> None:
        words = self.flow.crisis.words
        missing = [lang for lang in self.flow.languages if not words.get(lang)]
        if missing:
            self.error(("crisis", "words"), "no_crisis_words", languages=", ".join(missing))
        for lang, entries in words.items():
            if lang not in self.languages:
                self.error(
                    ("crisis", "words", lang), "language_undeclared", key=True, language=lang
                )
            for j, word in enumerate(entries):
                if not phrase(word):
                    self.error(("crisis", "words", lang, j), "crisis_word_no_letters", word=word)

    def check_translation_sources(self) -> None:
        # Text ids are not checked: entries of deleted texts are harmless and the next
        # import drops them, so removing a node never makes a flow invalid.
        for lang in self.flow.translation_sources:
            if lang == self.flow.default_language:
                self.error(
                    ("translation_sources", lang), "source_is_default", key=True, language=lang
                )
            elif lang not in self.languages:
                self.error(
                    ("translation_sources", lang), "language_undeclared", key=True, language=lang
                )

    # -- nodes

    def check_node(self, i: int, node: Node) -> None:
        at: Path = ("nodes", i)
        match node:
            case SingleChoiceNode():
                self.check_choice_ids(at, node)
                self.check_single_choice(at, node)
            case MultiChoiceNode():
                self.check_choice_ids(at, node)
                self.check_multi_choice(at, node)
            case BranchNode():
                self.check_branch(at, node)
            case HandoverNode():
                self.check_handover(at, node)
            case _:
                pass

    def check_choice_ids(self, at: Path, node: SingleChoiceNode | MultiChoiceNode) -> None:
        seen: set[str] = set()
        for j, choice in enumerate(node.choices):
            if choice.id in seen:
                self.error((*at, "choices", j, "id"), "duplicate_choice_id", choice=choice.id)
            seen.add(choice.id)

    def check_single_choice(self, at: Path, node: SingleChoiceNode) -> None:
        for j, choice in enumerate(node.choices):
            if node.next is None and choice.next is None:
                self.error((*at, "choices", j), "choice_no_next", choice=choice.id, node=node.id)
            if node.sets_language and (choice.language or choice.id) not in self.languages:
                self.error(
                    (*at, "choices", j, "language" if choice.language else "id"),
                    "choice_language_unknown",
                    choice=choice.id,
                    languages=", ".join(self.flow.languages),
                )
            if choice.language is not None and not node.sets_language:
                self.error(
                    (*at, "choices", j, "language"), "language_without_sets_language", key=True
                )
            if choice.exclusive:
                self.error((*at, "choices", j, "exclusive"), "exclusive_not_multi", key=True)

    def check_multi_choice(self, at: Path, node: MultiChoiceNode) -> None:
        for j, choice in enumerate(node.choices):
            if choice.next is not None:
                self.error((*at, "choices", j, "next"), "multi_choice_next", key=True)
        count = len(node.choices)
        if node.max is not None and node.max < node.min:
            self.error((*at, "max"), "max_below_min", max=node.max, min=node.min)
        if node.max is not None and node.max > count:
            self.error((*at, "max"), "max_over_choices", max=node.max, count=count)
        if node.min > count:
            self.error((*at, "min"), "min_over_choices", min=node.min, count=count)

    def check_branch(self, at: Path, node: BranchNode) -> None:
        before = self.input_nodes_before(node.id)
        for k, case in enumerate(node.cases):
            for m, cond in enumerate(case.when):
                self.check_condition((*at, "cases", k, "when", m), cond, before)

    def check_condition(self, at: Path, cond: Condition, before: dict[str, Node]) -> None:
        source = before.get(cond.field)
        if source is None:
            later = cond.field in self.input_keys()
            code = "condition_field_later" if later else "condition_field_unknown"
            self.error((*at, "field"), code, field=cond.field)
        needs_list = cond.op in ("in", "includes")
        if needs_list and not isinstance(cond.value, list):
            self.error((*at, "value"), "op_needs_list", op=cond.op)
        elif cond.op in ("equals", "not_equals") and not isinstance(cond.value, str):
            self.error((*at, "value"), "op_needs_text", op=cond.op)
        elif cond.op in ("answered", "not_answered", "is_true") and cond.value is not None:
            self.error((*at, "value"), "op_takes_no_value", key=True, op=cond.op)
        elif source is not None:
            self.check_condition_fits(at, cond, source)

    def check_condition_fits(self, at: Path, cond: Condition, source: Node) -> None:
        """The op suits the kind of answer, and compared values are answers it can give."""
        kind = source.kind
        allowed: dict[str, tuple[str, ...]] = {
            "equals": ("single_choice", "when"),
            "not_equals": ("single_choice", "when"),
            "in": ("single_choice", "when"),
            "includes": ("multi_choice",),
            "is_true": ("yes_no", "consent", "crisis_check"),
        }
        if cond.op in allowed and kind not in allowed[cond.op]:
            self.error(
                (*at, "op"),
                "op_wrong_kind",
                op=cond.op,
                field=cond.field,
                kind=kind,
                kinds=" or ".join(allowed[cond.op]),
            )
            return
        valid = _answer_values(source)
        values = cond.value if isinstance(cond.value, list) else [cond.value]
        for n, value in enumerate(values):
            if valid is not None and value is not None and value not in valid:
                path = (*at, "value", n) if isinstance(cond.value, list) else (*at, "value")
                self.error(
                    path, "not_an_answer", value=value, field=cond.field, answers=", ".join(valid)
                )

    def check_handover(self, at: Path, node: HandoverNode) -> None:
        key = node.incident_date_from
        if key is not None and not any(
            isinstance(n, WhenNode) and n.key == key for n in self.flow.nodes
        ):
            self.error(
                (*at, "incident_date_from"),
                "incident_date_not_when",
                name=key,
            )
        team = node.team
        if team.by is None:
            if team.routes:
                self.error((*at, "team", "routes"), "routes_without_by", key=True)
            return
        source = next(
            (n for n in self.flow.nodes if isinstance(n, SingleChoiceNode) and n.key == team.by),
            None,
        )
        if source is None:
            self.error(
                (*at, "team", "by"),
                "team_by_unknown",
                name=team.by,
            )
            return
        ids = [c.id for c in source.choices]
        for value in team.routes:
            if value not in ids:
                self.error(
                    (*at, "team", "routes", value),
                    "route_not_choice",
                    key=True,
                    value=value,
                    node=source.id,
                    choices=", ".join(ids),
                )

    def check_store_keys(self) -> None:
        first: dict[str, str] = {}
        for i, node in enumerate(self.flow.nodes):
            if not isinstance(node, INPUT_NODES):
                continue
            if node.key in first:
                path: Path = ("nodes", i, "store") if node.store else ("nodes", i, "id")
                self.error(
                    path,
                    "store_key_taken",
                    name=node.key,
                    node=first[node.key],
                )
            else:
                first[node.key] = node.id

    # -- helpers

    def input_keys(self) -> set[str]:
        return {n.key for n in self.flow.nodes if isinstance(n, INPUT_NODES)}

    def input_nodes_before(self, node_id: str) -> dict[str, Node]:
        """Input nodes (by store key) from which `node_id` can be reached."""
        pred = _reverse(_successors(self.flow))
        ancestors = _closure(sorted(pred.get(node_id, ())), pred)
        return {
            n.key: n for n in self.flow.nodes if isinstance(n, INPUT_NODES) and n.id in ancestors
        }


def _answer_values(node: Node) -> list[str] | None:
    """The values a choice-like answer can take; None when any value is possible."""
    if isinstance(node, SingleChoiceNode | MultiChoiceNode):
        return [c.id for c in node.choices]
    if isinstance(node, WhenNode):
        return [*WHEN_BUCKETS, WHEN_DATE]
    return None
