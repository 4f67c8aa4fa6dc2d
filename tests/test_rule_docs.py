"""Every rule has a doc with ruff's headings; its Example fires the rule, Use instead does not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ecslint.checks import ALL_RULES
from helpers import codes, lint

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
HEADINGS = ["## What it does", "## Why is this bad?", "## Example", "## Use instead",
            "## Options", "## References"]
STATIC = [r for r in ALL_RULES if not r.live_only]


def section(text: str, heading: str) -> str:
    start = text.index(heading) + len(heading)
    nxt = text.find("\n## ", start)
    return text[start:nxt if nxt >= 0 else None]


def hcl_block(text: str, heading: str) -> str:
    blocks = re.findall(r"```hcl\n(.*?)```", section(text, heading), re.S)
    assert len(blocks) == 1, f"{heading} needs exactly one hcl block"
    return blocks[0]


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_doc_exists_with_headings(rule):
    text = (RULES_DIR / f"{rule.code}.md").read_text()
    assert text.startswith(f"# {rule.code}: {rule.name}\n")
    assert f"**Severity:** {rule.severity.value}" in text
    positions = [text.index(h) for h in HEADINGS]
    assert positions == sorted(positions), "headings out of order"


# Files a doc's prose says are present beside its examples.
BESIDE = {"ECS003": {"modules/service/main.tf": 'variable "name" {}\n'}}


@pytest.mark.parametrize("rule", STATIC, ids=lambda r: r.code)
def test_example_fires_and_use_instead_does_not(rule, tmp_path):
    text = (RULES_DIR / f"{rule.code}.md").read_text()
    for heading, should_fire in (("## Example", True), ("## Use instead", False)):
        module = tmp_path / heading.strip("# ").replace(" ", "_")
        module.mkdir()
        (module / "main.tf").write_text(hcl_block(text, heading))
        for name, body in BESIDE.get(rule.code, {}).items():
            (module / name).parent.mkdir(parents=True, exist_ok=True)
            (module / name).write_text(body)
        found = codes(lint([module]))
        assert (rule.code in found) is should_fire, f"{heading}: {found}"


@pytest.mark.parametrize("rule", [r for r in ALL_RULES if r.live_only], ids=lambda r: r.code)
def test_live_rule_docs_show_json_examples(rule):
    text = (RULES_DIR / f"{rule.code}.md").read_text()
    assert re.search(r"```json\n", section(text, "## Example"))
