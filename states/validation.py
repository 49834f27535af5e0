"""Checks of how a pipeline's parts fit together, beyond what each value says alone."""

from __future__ import annotations

from collections import Counter, deque

from states.actors import Role
from states.definition import ANY_STAGE, Clock, Ending, Pipeline, Transition
from states.departments import department_key
from states.documents import Loc, Problem
from states.text import FIELD_VALUE, TITLE, TextRule, preview


def check_pipeline(pipeline: Pipeline) -> list[Problem]:
    """Every structural problem in `pipeline`, each located by its path in the file."""
    problems: list[Problem] = []
    problems += _duplicate_keys(pipeline)
    problems += _stage_references(pipeline)
    problems += _field_references(pipeline)
    problems += _terminal_rules(pipeline)
    problems += _ladder_rules(pipeline)
    problems += _text_rules(pipeline)
    problems += _department_lists(pipeline)
    problems += _migration_rules(pipeline)
    problems += _assembly_and_time_limit_stages(pipeline)
    problems += _follow_up_stages(pipeline)
    if not problems:
        problems += _reachability(pipeline)
        problems += _system_action(pipeline, "on_children_done", pipeline.on_children_done)
        problems += _system_action(pipeline, "on_deadline", pipeline.on_deadline)
        problems += _dissolution_action(pipeline)
        problems += _time_limit_actions(pipeline)
    return problems


def _text_rules(pipeline: Pipeline) -> list[Problem]:
    """No text holds a control character; titles, help and the description by their type."""
    texts: list[tuple[Loc, str | None, TextRule]] = []
    for name, spec in pipeline.fields.items():
        texts += [(("fields", name, "pattern"), spec.pattern, FIELD_VALUE)]
    texts += [(("cites", index), cite, TITLE) for index, cite in enumerate(pipeline.cites)]
    problems: list[Problem] = []
    for loc, value, rule in texts:
        problem = rule.problem(value) if value is not None else None
        if problem:
            problems.append((loc, problem))
    return problems


def _migration_rules(pipeline: Pipeline) -> list[Problem]:
    """Commitments come from an earlier version, and each lands on a stage still running."""
    mapping = pipeline.migrates_from
    if mapping is None:
        return []
    problems: list[Problem] = []
    if mapping.version >= pipeline.version:
        problems.append(
            (
                ("migrates_from", "version"),
                f"version {mapping.version} is not earlier than this one ({pipeline.version})",
            )
        )
    for old, new in mapping.stages.items():
        loc: Loc = ("migrates_from", "stages", old)
        if not pipeline.has_stage(new):
            problems.append((loc, f"{new!r} is not a stage of this version"))
        elif pipeline.stage(new).terminal:
            problems.append(
                (loc, f"{new!r} is an end: a running commitment moves to a stage still running")
            )
    return problems


def _department_lists(pipeline: Pipeline) -> list[Problem]:
    """A department named twice in one list (in any spelling) is a slip worth reporting."""
    parts: list[tuple[Loc, tuple[str, ...]]] = [
        (("stages", index, "departments"), stage.departments)
        for index, stage in enumerate(pipeline.stages)
    ]
    parts += [
        (("transitions", index, "departments"), transition.departments)
        for index, transition in enumerate(pipeline.transitions)
    ]
    problems: list[Problem] = []
    for loc, names in parts:
        seen: dict[str, str] = {}
        for position, name in enumerate(names):
            key = department_key(name)
            if not key:
                problems.append(((*loc, position), f"department {name!r} names nothing"))
            elif key in seen:
                problems.append(
                    (
                        (*loc, position),
                        f"department {name!r} is listed twice (also as {seen[key]!r})",
                    )
                )
            else:
                seen[key] = name
    return problems


def _duplicate_keys(pipeline: Pipeline) -> list[Problem]:
    problems: list[Problem] = []
    counts = Counter(stage.key for stage in pipeline.stages)
    for index, stage in enumerate(pipeline.stages):
        if counts[stage.key] > 1:
            problems.append(
                (
                    ("stages", index, "key"),
                    f"duplicate stage key {stage.key!r}; keys must be unique",
                )
            )
    seen: dict[tuple[str, str], int] = {}
    for index, transition in enumerate(pipeline.transitions):
        if not all(s == ANY_STAGE or pipeline.has_stage(s) for s in transition.from_):
            continue  # reported by _stage_references
        for source in pipeline.sources(transition):
            pair = (source, transition.action)
            if pair in seen:
                problems.append(
                    (
                        ("transitions", index, "action"),
                        f"duplicate action {transition.action!r} from stage {source!r}"
                        f" (also transitions[{seen[pair]}]); one action may lead to one stage",
                    )
                )
            seen[pair] = index
    return problems


def _stage_list(pipeline: Pipeline) -> str:
    return ", ".join(stage.key for stage in pipeline.stages)


def _stage_references(pipeline: Pipeline) -> list[Problem]:
    problems: list[Problem] = []
    if not pipeline.has_stage(pipeline.initial):
        problems.append(
            (
                ("initial",),
                f"unknown stage {pipeline.initial!r}; stages are {_stage_list(pipeline)}",
            )
        )
    elif pipeline.stage(pipeline.initial).terminal:
        problems.append((("initial",), f"initial stage {pipeline.initial!r} must not be terminal"))
    elif pipeline.stage(pipeline.initial).requires:
        problems.append(
            (
                ("initial",),
                f"initial stage {pipeline.initial!r} cannot require fields:"
                " a new commitment has none yet",
            )
        )
    for index, transition in enumerate(pipeline.transitions):
        for position, source in enumerate(transition.from_):
            if source != ANY_STAGE and not pipeline.has_stage(source):
                problems.append(
                    (
                        ("transitions", index, "from", position),
                        # `from` is not a key (it may be *), so it may be any length.
                        f"unknown stage {preview(source)} in action {transition.action!r};"
                        f" stages are {_stage_list(pipeline)} (or * for any open stage)",
                    )
                )
        if not pipeline.has_stage(transition.to):
            problems.append(
                (
                    ("transitions", index, "to"),
                    f"unknown stage {transition.to!r} in action {transition.action!r};"
                    f" stages are {_stage_list(pipeline)}",
                )
            )
        if Role.SYSTEM in transition.roles and len(transition.roles) > 1:
            problems.append(
                (
                    ("transitions", index, "roles"),
                    "an action taken by the system may not also be given to people",
                )
            )
    return problems


def _field_references(pipeline: Pipeline) -> list[Problem]:
    declared = ", ".join(pipeline.fields) or "(none declared)"
    problems: list[Problem] = []
    places: list[tuple[Loc, tuple[str, ...]]] = []
    places += [(("stages", i, "requires"), s.requires) for i, s in enumerate(pipeline.stages)]
    places += [
        (("transitions", i, "requires"), t.requires) for i, t in enumerate(pipeline.transitions)
    ]
    for loc, names in places:
        for position, name in enumerate(names):
            if name not in pipeline.fields:
                problems.append(
                    (
                        (*loc, position),
                        f"unknown field {name!r}; declare it under fields: ({declared})",
                    )
                )
    return problems


def _terminal_rules(pipeline: Pipeline) -> list[Problem]:
    problems: list[Problem] = []
    for index, stage in enumerate(pipeline.stages):
        if stage.terminal and stage.outcome is None:
            problems.append(
                (
                    ("stages", index, "outcome"),
                    f"terminal stage {stage.key!r} needs an outcome:"
                    " completed, withdrawn or lapsed",
                )
            )
        if not stage.terminal and stage.outcome is not None:
            problems.append(
                (
                    ("stages", index, "outcome"),
                    f"stage {stage.key!r} has an outcome but is not terminal; add terminal: true",
                )
            )
        if stage.time_limit is None and stage.clock is not Clock.WORKING_DAYS:
            problems.append(
                (
                    ("stages", index, "clock"),
                    f"stage {stage.key!r} has a clock but no time_limit for it to count",
                )
            )
        if stage.terminal and stage.time_limit is not None:
            problems.append(
                (
                    ("stages", index, "time_limit"),
                    f"terminal stage {stage.key!r} cannot have a time limit; nothing moves it on",
                )
            )
    for index, transition in enumerate(pipeline.transitions):
        for source in transition.from_:
            if pipeline.has_stage(source) and pipeline.stage(source).terminal:
                problems.append(
                    (
                        ("transitions", index, "from"),
                        f"action {transition.action!r} leaves terminal stage {source!r};"
                        " a closed commitment cannot move",
                    )
                )
    if not pipeline.terminal_stages():
        problems.append((("stages",), "no stage is terminal; mark at least one terminal: true"))
    return problems


def _ladder_rules(pipeline: Pipeline) -> list[Problem]:
    problems: list[Problem] = []
    previous_after = -1
    for index, rung in enumerate(pipeline.ladder):
        if rung.level != index + 1:
            problems.append(
                (("ladder", index, "level"), f"levels must count up from 1; expected {index + 1}")
            )
        if rung.after <= previous_after:
            problems.append(
                (
                    ("ladder", index, "after"),
                    f"level {rung.level} must come later than the level before"
                    f" (after > {previous_after} working days)",
                )
            )
        previous_after = rung.after
        if rung.notify in (Role.SYSTEM, Role.ADMINISTRATOR):
            problems.append(
                (
                    ("ladder", index, "notify"),
                    f"{rung.notify} cannot be escalated to; name a person's role",
                )
            )
    if pipeline.ladder and pipeline.ladder[-1].notify is not Role.CHAIR:
        problems.append(
            (
                ("ladder", len(pipeline.ladder) - 1, "notify"),
                f"the last level must notify the chair, not {pipeline.ladder[-1].notify}",
            )
        )
    return problems


def _reachability(pipeline: Pipeline) -> list[Problem]:
    problems: list[Problem] = []
    forward: dict[str, set[str]] = {stage.key: set() for stage in pipeline.stages}
    for transition in pipeline.transitions:
        for source in pipeline.sources(transition):
            forward[source].add(transition.to)
    reached = _closure(pipeline.initial, forward)
    terminals = {stage.key for stage in pipeline.terminal_stages()}
    backward: dict[str, set[str]] = {key: set() for key in forward}
    for source, targets in forward.items():
        for target in targets:
            backward[target].add(source)
    can_finish: set[str] = set()
    for terminal in terminals:
        can_finish |= _closure(terminal, backward)
    for index, stage in enumerate(pipeline.stages):
        if stage.key not in reached:
            problems.append(
                (
                    ("stages", index, "key"),
                    f"stage {stage.key!r} is unreachable from the initial stage"
                    f" {pipeline.initial!r}; add a transition into it or remove it",
                )
            )
        elif not stage.terminal and not forward[stage.key]:
            problems.append(
                (
                    ("stages", index, "key"),
                    f"stage {stage.key!r} is not terminal but has no way out;"
                    " add a transition from it or mark it terminal: true",
                )
            )
        elif stage.key not in can_finish:
            problems.append(
                (
                    ("stages", index, "key"),
                    f"from stage {stage.key!r} no terminal stage can be reached;"
                    " a commitment there could never finish",
                )
            )
    return problems


def _closure(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for target in edges[queue.popleft()]:
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def _system_action(pipeline: Pipeline, setting: str, action: str | None) -> list[Problem]:
    """An action the engine takes by itself must exist, be the system's, and end the commitment."""
    if action is None:
        return []
    matches = [t for t in pipeline.transitions if t.action == action]
    if not matches:
        actions = ", ".join(sorted({t.action for t in pipeline.transitions}))
        return [((setting,), f"unknown action {action!r}; actions are {actions}")]
    problems: list[Problem] = []
    covered = {source for t in matches for source in pipeline.sources(t)}
    stuck = [s.key for s in pipeline.stages if not s.terminal and s.key not in covered]
    if stuck:
        problems.append(
            (
                (setting,),
                f"action {action!r} must be possible from every open stage; it is not from"
                f' {", ".join(stuck)} (use from: "*")',
            )
        )
    for transition in matches:
        if not pipeline.stage(transition.to).terminal:
            problems.append(((setting,), f"action {action!r} must lead to a terminal stage"))
        if Role.SYSTEM not in transition.roles:
            problems.append(((setting,), f"action {action!r} must be allowed to role system"))
    return problems


def _assembly_and_time_limit_stages(pipeline: Pipeline) -> list[Problem]:
    """An ended commitment is pending nowhere, and an action taken when the time limit has
    passed needs a time limit to pass."""
    problems: list[Problem] = []
    for index, stage in enumerate(pipeline.stages):
        if stage.assembly and stage.terminal:
            problems.append(
                (
                    ("stages", index, "assembly"),
                    f"terminal stage {stage.key!r} cannot be pending in the assembly;"
                    " an ended commitment is pending nowhere",
                )
            )
        if stage.on_time_limit is not None and stage.time_limit is None:
            problems.append(
                (
                    ("stages", index, "on_time_limit"),
                    f"stage {stage.key!r} has on_time_limit but no time_limit to wait for;"
                    " add a time_limit",
                )
            )
    return problems


def _follow_up_stages(pipeline: Pipeline) -> list[Problem]:
    """A follow-up starts when a commitment completes: only on a terminal stage whose outcome
    is completed, and never the pipeline itself (each follow-up would start another)."""
    problems: list[Problem] = []
    for index, stage in enumerate(pipeline.stages):
        if stage.follow_up is None:
            continue
        loc: Loc = ("stages", index, "follow_up")
        if not stage.terminal or stage.outcome is not Ending.COMPLETED:
            problems.append(
                (
                    loc,
                    f"stage {stage.key!r} is not a terminal stage with outcome completed;"
                    " a follow-up starts only when a commitment is completed",
                )
            )
        if stage.follow_up == pipeline.key:
            problems.append(
                (
                    loc,
                    f"stage {stage.key!r} follows up with its own pipeline {pipeline.key!r};"
                    " each follow-up would start another without end",
                )
            )
    return problems


def _system_matches(
    pipeline: Pipeline, loc: Loc, action: str
) -> tuple[list[Transition], list[Problem]]:
    """The transitions named `action`, or why there are none; each must be the system's."""
    matches = [t for t in pipeline.transitions if t.action == action]
    if not matches:
        actions = ", ".join(sorted({t.action for t in pipeline.transitions})) or "(none)"
        return [], [(loc, f"unknown action {action!r}; actions are {actions}")]
    problems: list[Problem] = [
        (loc, f"action {action!r} must be allowed to role system")
        for transition in matches
        if Role.SYSTEM not in transition.roles
    ]
    return matches, problems


def _dissolution_action(pipeline: Pipeline) -> list[Problem]:
    """What the system does when an assembly is dissolved: the system's action, taken from
    every stage pending in the assembly, and leading out of it."""
    action = pipeline.on_dissolution
    if action is None:
        return []
    loc: Loc = ("on_dissolution",)
    matches, problems = _system_matches(pipeline, loc, action)
    if not matches:
        return problems
    assembly = [stage.key for stage in pipeline.assembly_stages()]
    if not assembly:
        problems.append(
            (
                loc,
                "no stage is pending in the assembly; mark the stages a dissolution"
                " ends with assembly: true",
            )
        )
    covered = {source for t in matches for source in pipeline.sources(t)}
    stuck = [key for key in assembly if key not in covered]
    if stuck:
        problems.append(
            (
                loc,
                f"action {action!r} must be possible from every stage pending in the assembly;"
                f" it is not from {', '.join(stuck)}",
            )
        )
    for transition in matches:
        if pipeline.stage(transition.to).assembly:
            problems.append(
                (
                    loc,
                    f"action {action!r} leads to {transition.to!r}, which is pending in the"
                    " assembly; a dissolved assembly holds nothing",
                )
            )
    return problems


def _time_limit_actions(pipeline: Pipeline) -> list[Problem]:
    """What the system does once a stage's time limit has passed: the system's action,
    taken from that stage."""
    problems: list[Problem] = []
    for index, stage in enumerate(pipeline.stages):
        action = stage.on_time_limit
        if action is None:
            continue
        loc: Loc = ("stages", index, "on_time_limit")
        matches, found = _system_matches(pipeline, loc, action)
        problems += found
        if matches and not any(stage.key in pipeline.sources(t) for t in matches):
            problems.append(
                (loc, f"action {action!r} does not start from stage {stage.key!r}; add it to from:")
            )
    return problems
