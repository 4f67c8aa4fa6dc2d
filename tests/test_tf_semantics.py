"""ecslint's HCL evaluation against real Terraform (the oracle fixtures).

Every case of tests/fixtures/tf_semantics/ (each root output, the resource instances, the
planned nested blocks and container definitions) and every differential root of
tests/fixtures/differential/ (ecslint's model against the plan) is compared by
tests/tf_oracle_diff.py. Each compared item is equal, wrong, unknown to ecslint where
Terraform knows it (`ecs_unknown`), or known to ecslint where Terraform leaves it unknown
(`ecs_known`).

Anything but equal must be listed below, with its kind:

- ACCEPTED: `ecs_known` items where ecslint's value holds for every possible value of the
  unknowns. These are the project's catalog rules, not gaps: ecslint's unknowns are mostly
  values Terraform knows but ecslint cannot read (data sources, computed attributes), so it
  decides what it can decide either way.
- KNOWN_GAPS: the rest, each with its reason.

The test fails when a disagreement is in neither list, when a listed one changes kind, and
when a listed one has started to agree (then remove it: the lists only shrink).
"""

from __future__ import annotations

import pytest

import tf_oracle_diff as oracle

# The project's rules for deciding values Terraform 1.11 leaves unknown.
THREE_VALUED = "three-valued logic: `false && x` / `x && false` are false, `true || x` / " \
               "`x || true` true, whatever x is"
EQUAL_BRANCHES = "a conditional on an unknown condition whose two results are equal and " \
                 "known has that value"
COUNT_FOR_EVERY_VALUE = "the count is the same for every value of its unknowns (0: the " \
                        "resource does not exist; 1 by `true || x`)"
KNOWN_PARTS = "a partly unknown value keeps its known parts: they are what the provider " \
              "will send whatever the unknown part is"

ACCEPTED: dict[tuple[str, str], tuple[str, str]] = {
    ("unknowns", "output.false_and_unknown"): ("ecs_known", THREE_VALUED),
    ("unknowns", "output.unknown_and_false"): ("ecs_known", THREE_VALUED),
    ("unknowns", "output.true_or_unknown"): ("ecs_known", THREE_VALUED),
    ("unknowns", "output.unknown_or_true"): ("ecs_known", THREE_VALUED),
    ("unknowns", "output.cond_unknown_equal_branches"): ("ecs_known", EQUAL_BRANCHES),
    ("unknowns_errors", "instances of terraform_data.unknown_and_false"):
        ("ecs_known", COUNT_FOR_EVERY_VALUE),
    ("unknowns_errors", "instances of terraform_data.false_and_unknown"):
        ("ecs_known", COUNT_FOR_EVERY_VALUE),
    ("unknowns_errors", "instances of terraform_data.true_or_unknown"):
        ("ecs_known", COUNT_FOR_EVERY_VALUE),
    # The provider makes the whole container_definitions string unknown when a part is;
    # ecslint keeps name, memory and essential, which hold for any image tag.
    ("container_json", "aws_ecs_task_definition.unknown_part containerDefinitions"):
        ("ecs_known", KNOWN_PARTS),
}

PROVIDER_PLAN = "reading a resource attribute gives the configured value; Terraform gives " \
                "the provider's planned value (the AWS provider rewrites container_definitions: " \
                "canonical key case, keys sorted, nulls, unknown keys and `cpu: 0` dropped, " \
                "environment sorted), which ecslint does not emulate"
PROVIDER_SCHEMA = "the provider schema types the attribute (task cpu/memory are strings): " \
                  "ecslint has no provider schemas; its model converts the value itself"
CPU_ZERO = "the provider drops `cpu: 0` from a container definition; ecslint's model keeps " \
           "0 (the same CPU shares for the rules)"
PROVIDER_VALIDATION = "the provider rejects the container definitions while planning (a " \
                      "string memory, invalid JSON, ...); ecslint does not validate them, " \
                      "its model converts or leaves them unknown"
PROVIDER_DEFAULTS = "the plan holds the provider's defaults for unset attributes (base 0, " \
                    "healthy_threshold 3, protocol HTTP); ecslint's model leaves them unset " \
                    "(None: the API default applies)"
WHOLE_RESOURCE = "a counted resource referred to as a whole (`length(r)`, `r[*].id`, " \
                 "`r[0]` of a resource with no instances) is unknown to ecslint; its " \
                 "instances are known only by address"
REFINEMENTS = "Terraform refines terraform_data.u.id as not null, so `u == null` is known; " \
              "ecslint's unknowns carry no refinements (most are data-source values)"
STRIP_PARSER = "`${~ ... ~}` strip markers in a quoted string: the HCL grammar ecslint " \
               "parses with (python-hcl2's) rejects the file (heredocs and templates are fine)"

KNOWN_GAPS: dict[tuple[str, str], tuple[str, str]] = {
    ("container_json", "output.duplicate_keys"): ("wrong", PROVIDER_PLAN),
    ("container_json", "output.from_heredoc"): ("wrong", PROVIDER_PLAN),
    ("container_json", "output.from_templatefile"): ("wrong", PROVIDER_PLAN),
    ("container_json", "output.key_case"): ("wrong", PROVIDER_PLAN),
    ("container_json", "output.nulls_and_zeros"): ("wrong", PROVIDER_PLAN),
    ("container_json", "output.task_cpu_memory"): ("wrong", PROVIDER_SCHEMA),
    ("container_json", "aws_ecs_task_definition.nulls_and_zeros container[zeros].cpu"):
        ("wrong", CPU_ZERO),
    ("cloudposse_alb_service",
     "module.alb_service_task.aws_ecs_task_definition.default[0] container[xray].cpu"):
        ("wrong", CPU_ZERO),
    ("cloudposse_alb_service",
     "module.worker_service_task.aws_ecs_task_definition.default[0] container[xray].cpu"):
        ("wrong", CPU_ZERO),
    ("tam_fargate",
     "module.ecs_service.aws_ecs_task_definition.this[0] container[fluent-bit].cpu"):
        ("wrong", CPU_ZERO),
    **{("container_json_errors", f"instances of aws_ecs_task_definition.{name}"):
       ("wrong", PROVIDER_VALIDATION)
       for name in ("memory_string", "cpu_string", "essential_string", "memory_float",
                    "entrypoint_string", "healthcheck_interval_string", "not_a_list",
                    "invalid_json")},
    ("for_each_list_errors", "instances of terraform_data.list_for_each"):
        ("wrong", "for_each over a tuple is an error Terraform reports before planning; "
                  "ecslint keeps one instance without a key, its each.* unknown, as for any "
                  "for_each it cannot use (a value it may not type exactly stays checked)"),
    ("modules", "output.counted_splat"): ("ecs_unknown", WHOLE_RESOURCE),
    ("unknowns", "output.one_of_absent"): ("ecs_unknown", WHOLE_RESOURCE),
    ("unknowns", "output.splat_count"): ("ecs_unknown", WHOLE_RESOURCE),
    ("unknowns", "output.try_absent_index"): ("ecs_unknown", WHOLE_RESOURCE),
    ("unknowns", "output.unknown_eq_null"): ("ecs_unknown", REFINEMENTS),
    ("unknowns", "output.unknown_ne_null"): ("ecs_unknown", REFINEMENTS),
    ("unknowns", "output.for_filter_unknown_cond"):
        ("ecs_known", "a `for` filter on an unknown condition keeps the key with an unknown "
                      "value (so that the other keys of a null-stripped container definition "
                      "stay known); Terraform leaves the whole object unknown, as the key may "
                      "be filtered out"),
    ("sensitive", "output.issensitive"):
        ("ecs_unknown", "sensitivity marks are not tracked (sensitive() and nonsensitive() "
                        "pass the value through), so issensitive() is unknown"),
    ("strings", "parse strip_interp.tf:4"): ("wrong", STRIP_PARSER),
    ("strings", "output.strip_inline"): ("wrong", STRIP_PARSER),
    ("strings", "output.strip_quoted_newlines"): ("wrong", STRIP_PARSER),
    ("tam_fargate", "module.ec2_cluster.aws_ecs_cluster_capacity_providers.this[0]"
                    ".defaultCapacityProviderStrategy"): ("ecs_unknown", PROVIDER_DEFAULTS),
    ("tam_fargate", "module.ecs_cluster.aws_ecs_cluster_capacity_providers.this[0]"
                    ".defaultCapacityProviderStrategy"): ("ecs_unknown", PROVIDER_DEFAULTS),
}

NAMES = oracle.cases() + oracle.roots()
COUNTS: dict[str, int] = {}  # summed over the names compared (see conftest's summary)


def test_the_lists_do_not_overlap_and_name_real_cases():
    assert not set(ACCEPTED) & set(KNOWN_GAPS)
    for case, _what in {**ACCEPTED, **KNOWN_GAPS}:
        assert case in NAMES, case
    assert all(kind == "ecs_known" for kind, _rule in ACCEPTED.values())


@pytest.mark.parametrize("name", NAMES)
def test_terraform_semantics(name):
    tally = oracle.compare([name])
    for kind in oracle.KINDS:
        COUNTS[kind] = COUNTS.get(kind, 0) + tally.counts[kind]
    print(f"{name}: " + " ".join(f"{k}={tally.counts[k]}" for k in oracle.KINDS))
    listed = {key: v for key, v in {**ACCEPTED, **KNOWN_GAPS}.items() if key[0] == name}
    problems = []
    seen = set()
    for row in tally.rows:
        key = (row.case, row.what)
        seen.add(key)
        shown = f"{row.what}: Terraform {oracle.show(row.terraform)}, " \
                f"ecslint {oracle.show(row.ecslint)}"
        if key not in listed:
            problems.append(f"new disagreement ({row.kind}) {shown}")
        elif listed[key][0] != row.kind:
            problems.append(f"listed as {listed[key][0]}, now {row.kind}: {shown}")
    for key in sorted(set(listed) - seen):
        problems.append(f"now agrees with Terraform, remove it from the list: {key[1]}")
    assert not problems, "\n".join(problems)
