"""`taskforce check` refuses a stage's follow_up that names no known pipeline, with the file
and the stage, and accepts one naming a bundled pipeline."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.acceptance.conftest import Run

PIPELINE = """\
key: after_the_decision
version: 1
title: After the decision
initial: open
stages:
  - key: open
    title: Open
    owner: officer
    time_limit: 5
  - key: done
    title: Done
    owner: officer
    terminal: true
    outcome: completed
    follow_up: {follow_up}
transitions:
  - action: finish
    title: Finish
    from: open
    to: done
    roles: [officer]
ladder:
  - {{level: 1, after: 0, notify: chair}}
"""


def test_check_names_the_unknown_pipeline_a_follow_up_names(
    taskforce: Callable[..., Run], tmp_path: Path
) -> None:
    path = tmp_path / "after.yaml"
    path.write_text(PIPELINE.format(follow_up="rules_and_bodies"), encoding="utf-8")
    refused = taskforce("check", str(path))
    assert refused.code == 65, refused.stderr
    assert (
        f"{path}: stages[1].follow_up: stage 'done' follows up with pipeline"
        " 'rules_and_bodies', which is not among the pipelines:"
    ) in refused.said
    assert "post_enactment" in refused.said, "the known pipelines are listed"

    path.write_text(PIPELINE.format(follow_up="post_enactment"), encoding="utf-8")
    checked = taskforce("check", str(path))
    assert checked.code == 0, checked.stderr
    assert "after_the_decision version 1, 2 stages, 1 actions" in checked.stdout
