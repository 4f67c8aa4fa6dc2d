"""The HCL evaluator: what it knows, what stays unknown, and where values came from."""

from __future__ import annotations

import pytest

from ecslint.model import Unknown, is_unknown
from ecslint.sources.taskdef import decode_container_definitions
from ecslint.sources.values import plain
from helpers import records, write

T = frozenset({"test_thing"})


def values(tmp_path, body: str, extra: dict[str, str] | None = None) -> dict:
    files = {"main.tf": body, **(extra or {})}
    recs = records(write(tmp_path, files), T)
    return recs["test_thing.x"].values


def test_literals_templates_and_escapes(tmp_path):
    v = values(tmp_path, '''
        variable "env" { default = "prod" }
        resource "test_thing" "x" {
          s     = "a-${var.env}-b"
          esc   = "tab\\tq\\"x\\" $${literal} %%{nope}"
          n     = 1.5
          i     = -3
          b     = !false
          math  = (2 + 3) * 4 % 7
          cmp   = 3 >= 2 && "a" != "b"
          dir   = "%{if var.env == "prod"}big%{else}small%{endif}"
          strip = "x %{~ if true ~} y %{~ endif ~} z"
          lone  = "${[1, 2]}"
        }
    ''')
    assert v["s"] == "a-prod-b"
    assert v["esc"] == 'tab\tq"x" ${literal} %{nope}'
    assert (v["n"], v["i"], v["b"], v["math"], v["cmp"]) == (1.5, -3, True, 6, True)
    assert v["dir"] == "big"
    assert v["strip"] == "xyz"
    assert v["lone"] == [1, 2]  # a lone interpolation keeps its type


def test_heredocs_with_interpolation_and_indent_trim(tmp_path):
    v = values(tmp_path, '''
        locals { port = 8080 }
        resource "test_thing" "x" {
          plain = <<EOT
        line ${local.port}
        EOT
          trim = <<-EOT
            {
              "port": ${local.port}
            }
            EOT
        }
    ''')
    assert v["plain"] == "line 8080\n"
    assert v["trim"] == '{\n  "port": 8080\n}\n'


def test_variables_tfvars_locals_precedence(tmp_path):
    v = values(tmp_path, '''
        variable "a" { default = 1 }
        variable "b" { default = 2 }
        variable "c" {}
        locals {
          sum  = var.a + var.b
          again = local.sum * 10
        }
        resource "test_thing" "x" {
          a = var.a
          b = var.b
          c = var.c
          again = local.again
        }
    ''', {"terraform.tfvars": "a = 10\n", "z.auto.tfvars": "b = 20\n"})
    assert (v["a"], v["b"], v["again"]) == (10, 20, 300)
    assert is_unknown(v["c"])  # no default, no value: Terraform would prompt


def test_functions(tmp_path):
    v = values(tmp_path, '''
        locals {
          base = { a = 1, b = 2 }
          list = ["x", "y"]
        }
        resource "test_thing" "x" {
          merge    = merge(local.base, { b = 3, c = 4 })
          concat   = concat(local.list, ["z"])
          lookup   = lookup(local.base, "zz", 42)
          coalesce = coalesce("", null, "first")
          try      = try(local.base.missing, "fallback")
          can      = can(local.base.missing)
          format   = format("%s-%03d-%.1f", "web", 7, 2.25)
          join     = join(",", local.list)
          tostring = tostring(5)
          tonumber = tonumber("512")
          max      = max(1, 9, 3)
          min      = min(4, 2)
          upper    = upper("x")
          length   = length(local.list)
          keys     = keys(local.base)
          element  = element(local.list, 3)
          flatten  = flatten([[1], [2, [3]]])
          roundtrip = jsondecode(jsonencode({ k = [1, true, null] }))
          unknownfn = sha256("x")
        }
    ''')
    assert plain(v["merge"]) == {"a": 1, "b": 3, "c": 4}
    assert plain(v["concat"]) == ["x", "y", "z"]
    assert v["lookup"] == 42 and v["coalesce"] == "first" and v["try"] == "fallback"
    assert v["can"] is False
    assert v["format"] == "web-007-2.2"  # Go and Python both round half to even here
    assert (v["join"], v["tostring"], v["tonumber"]) == ("x,y", "5", 512)
    assert (v["max"], v["min"], v["upper"], v["length"]) == (9, 2, "X", 2)
    assert v["keys"] == ["a", "b"] and v["element"] == "y" and v["flatten"] == [1, 2, 3]
    assert plain(v["roundtrip"]) == {"k": [1, True, None]}
    assert is_unknown(v["unknownfn"])


def test_conditionals_and_for_expressions(tmp_path):
    v = values(tmp_path, '''
        variable "on" { default = true }
        variable "unset" {}
        locals { m = { a = 1, b = 2, c = 3 } }
        resource "test_thing" "x" {
          known   = var.on ? "yes" : "no"
          unknown = var.unset ? "yes" : "no"
          same    = var.unset ? 5 : 5
          evens   = [for k, v in local.m : k if v % 2 == 1]
          inverse = { for k, v in local.m : v => k }
          grouped = { for k, v in local.m : (v > 1 ? "big" : "small") => k... }
          splat   = [{ n = 1 }, { n = 2 }][*].n
        }
    ''')
    assert v["known"] == "yes"
    assert is_unknown(v["unknown"])
    assert v["same"] == 5  # both branches agree: no need to know the condition
    assert v["evens"] == ["a", "c"]
    assert plain(v["inverse"]) == {"1": "a", "2": "b", "3": "c"}
    assert plain(v["grouped"]) == {"small": ["a"], "big": ["b", "c"]}
    assert v["splat"] == [1, 2]


def test_references_between_resources_and_unknown_computed_attributes(tmp_path):
    recs = records(write(tmp_path, {"main.tf": '''
        resource "test_thing" "a" { name = "alpha" }
        data "aws_caller_identity" "me" {}
        resource "test_thing" "x" {
          name_ref = test_thing.a.name
          arn_ref  = test_thing.a.arn
          data_ref = data.aws_caller_identity.me.account_id
          tmpl     = "svc/${test_thing.a.name}/${test_thing.a.id}"
        }
    '''}), T)
    v = recs["test_thing.x"].values
    assert v["name_ref"] == "alpha"
    assert isinstance(v["arn_ref"], Unknown) and v["arn_ref"].refs == {"test_thing.a"}
    assert is_unknown(v["data_ref"])
    assert is_unknown(v["tmpl"]) and "test_thing.a" in v["tmpl"].refs


def test_count_and_for_each_instances(tmp_path):
    recs = records(write(tmp_path, {"main.tf": '''
        variable "names" { default = ["a", "b"] }
        variable "unknown_n" {}
        resource "test_thing" "counted" {
          count = 2
          idx   = count.index
        }
        resource "test_thing" "each" {
          for_each = { web = 256, api = 512 }
          mem      = each.value
          key      = each.key
        }
        resource "test_thing" "set" {
          for_each = toset(var.names)
          v        = each.key
        }
        resource "test_thing" "unk" {
          count = var.unknown_n
          idx   = count.index
        }
        resource "test_thing" "pick" {
          other = test_thing.each["api"].mem
          first = test_thing.counted[1].idx
        }
    '''}), T)
    assert recs["test_thing.counted[0]"].values["idx"] == 0
    assert recs["test_thing.counted[1]"].values["idx"] == 1
    assert recs['test_thing.each["api"]'].values["mem"] == 512
    assert recs['test_thing.each["web"]'].values["key"] == "web"
    assert recs['test_thing.set["b"]'].values["v"] == "b"
    assert is_unknown(recs["test_thing.unk"].values["idx"])  # checked once, with unknowns
    assert recs["test_thing.pick"].values["other"] == 512
    assert recs["test_thing.pick"].values["first"] == 1


def test_local_modules_bind_arguments_and_prefix_addresses(tmp_path):
    write(tmp_path, {
        "main.tf": '''
            module "svc" {
              source = "./modules/svc"
              name   = "api"
              memory = 1024
            }
            module "many" {
              source   = "./modules/svc"
              for_each = { w1 = 1, w2 = 2 }
              name     = each.key
            }
            module "remote" {
              source = "terraform-aws-modules/ecs/aws"
            }
            resource "test_thing" "x" {
              from_module = module.svc.name_out
              arn         = module.svc.arn_out
            }
        ''',
        "modules/svc/main.tf": '''
            variable "name" {}
            variable "memory" { default = 512 }
            resource "test_thing" "inner" {
              name = var.name
              mem  = var.memory
            }
            output "name_out" { value = test_thing.inner.name }
            output "arn_out" { value = test_thing.inner.arn }
        ''',
    })
    recs = records(tmp_path, T)
    inner = recs["module.svc.test_thing.inner"].values
    assert (inner["name"], inner["mem"]) == ("api", 1024)
    assert recs['module.many["w2"].test_thing.inner'].values["name"] == "w2"
    assert recs['module.many["w1"].test_thing.inner'].values["mem"] == 512
    x = recs["test_thing.x"].values
    assert x["from_module"] == "api"
    assert x["arn"].refs == {"module.svc.test_thing.inner"}


def test_dynamic_blocks_and_nested_blocks(tmp_path):
    v = values(tmp_path, '''
        locals { ports = [80, 443] }
        resource "test_thing" "x" {
          health_check { timeout = 5 }
          dynamic "listener" {
            for_each = local.ports
            content { port = listener.value }
          }
        }
    ''')
    assert v["health_check"][0]["timeout"] == 5
    assert [b["port"] for b in v["listener"]] == [80, 443]


def test_jsonencode_keeps_positions_and_partial_unknowns(tmp_path):
    v = values(tmp_path, '''
        variable "image" {}
        resource "test_thing" "x" {
          defs = jsonencode([
            {
              name   = "web"
              image  = var.image
              memory = 512
            }
          ])
        }
    ''')
    assert is_unknown(v["defs"])  # the text is not known ...
    defs = decode_container_definitions(v["defs"])  # ... but the structure is
    assert defs[0]["memory"] == 512 and is_unknown(defs[0]["image"])
    assert defs[0].pos["memory"].line == 8


def test_file_and_templatefile_map_positions_into_their_files(tmp_path):
    write(tmp_path, {
        "containers.json": '[\n  {\n    "name": "web",\n    "memory": 256\n  }\n]\n',
        "tpl/app.json.tftpl": (
            '[\n%{ for c in containers ~}\n  {\n    "name": "${c}",\n'
            '    "memory": ${mem}\n  }%{ if c != containers[length(containers) - 1] },'
            '%{ endif }\n%{ endfor ~}\n]\n'),
    })
    v = values(tmp_path, '''
        resource "test_thing" "x" {
          from_file = file("${path.module}/containers.json")
          from_tpl  = templatefile("${path.module}/tpl/app.json.tftpl", {
            containers = ["a", "b"]
            mem        = 128
          })
        }
    ''')
    f = decode_container_definitions(v["from_file"])
    assert f[0].pos["memory"].file.endswith("containers.json")
    assert (f[0].pos["memory"].line, f[0].pos["memory"].column) == (4, 5)
    t = decode_container_definitions(v["from_tpl"])
    assert [c["name"] for c in t] == ["a", "b"] and t[1]["memory"] == 128
    assert t[0].pos["memory"].file.endswith("app.json.tftpl")
    assert t[0].pos["memory"].line == 5


def test_templatefile_with_unknown_var_still_decodes(tmp_path):
    write(tmp_path, {"t.tftpl": '[{"name": "web", "image": "${image}", "memory": ${mem}}]'})
    v = values(tmp_path, '''
        variable "image" {}
        resource "test_thing" "x" {
          defs = templatefile("${path.module}/t.tftpl", { image = var.image, mem = 300 })
        }
    ''')
    defs = decode_container_definitions(v["defs"])
    assert defs[0]["memory"] == 300 and is_unknown(defs[0]["image"])


def test_missing_file_is_unknown_not_a_crash(tmp_path):
    v = values(tmp_path, '''
        resource "test_thing" "x" {
          defs = file("${path.module}/nope.json")
          t    = try(file("nope.json"), "[]")
        }
    ''')
    assert is_unknown(v["defs"]) and v["t"] == "[]"


def test_reference_cycles_are_unknown(tmp_path):
    v = values(tmp_path, '''
        locals {
          a = local.b
          b = local.a
        }
        resource "test_thing" "x" { a = local.a }
    ''')
    assert is_unknown(v["a"])


def test_tf_json_files(tmp_path):
    write(tmp_path, {"main.tf.json": '''
        {"variable": {"mem": {"default": 768}},
         "resource": {"test_thing": {"x": {
            "mem": "${var.mem}",
            "label": "m-${var.mem}",
            "health_check": {"timeout": 4}}}}}
    '''})
    v = records(tmp_path, T)["test_thing.x"].values
    assert v["mem"] == 768 and v["label"] == "m-768"
    assert v["health_check"][0]["timeout"] == 4


@pytest.mark.parametrize("expr,expected", [
    ('"${1 + 2}"', 3),  # a lone interpolation is not converted to string
    ("10 / 4", 2.5),
    ('"a" == "a" ? 1 : 2', 1),
    ("[1, 2, 3][1]", 2),
    ('{ "k" = "v" }.k', "v"),
    ("true || (1 / 0 > 0)", True),
])
def test_expression_table(tmp_path, expr, expected):
    assert values(tmp_path, f'resource "test_thing" "x" {{ v = {expr} }}')["v"] == expected


def test_optional_attribute_defaults_of_variable_types(tmp_path):
    v = values(tmp_path, '''
        variable "containers" {
          type = map(object({
            image  = string
            create = optional(bool, true)
            cpu    = optional(number)
            health = optional(object({ retries = optional(number, 3) }), {})
          }))
          default = { web = { image = "nginx" }, off = { image = "x", create = false } }
        }
        resource "test_thing" "x" {
          enabled = [for k, v in var.containers : k if v.create]
          cpu     = var.containers.web.cpu
          retries = var.containers.web.health.retries
        }
    ''')
    assert v["enabled"] == ["web"] and v["cpu"] is None and v["retries"] == 3


def test_unknown_filter_condition_keeps_the_key_unknown_and_the_rest_known(tmp_path):
    v = values(tmp_path, '''
        data "aws_region" "r" {}
        locals { defn = { image = "nginx", region = data.aws_region.r.name, extra = null } }
        resource "test_thing" "x" {
          trimmed = { for k, v in local.defn : k => v if v != null }
          listed  = [for k, v in local.defn : k if v != null]
        }
    ''')
    assert v["trimmed"]["image"] == "nginx" and "extra" not in v["trimmed"]
    assert is_unknown(v["trimmed"]["region"])
    assert is_unknown(v["listed"])  # its length is not known


def test_null_comparison_of_a_partly_unknown_value_is_known(tmp_path):
    v = values(tmp_path, '''
        data "aws_lb" "x" {}
        variable "lbs" { default = { web = { arn = null } } }
        locals { lbs = { web = { arn = data.aws_lb.x.arn } } }
        resource "test_thing" "x" {
          a = local.lbs != null
          b = local.lbs == null
          c = data.aws_lb.x.arn == null
        }
    ''')
    assert v["a"] is True and v["b"] is False and is_unknown(v["c"])


def test_registry_modules_are_followed_where_terraform_init_installed_them(tmp_path):
    write(tmp_path, {
        "main.tf": '''
            module "ecs" {
              source  = "terraform-aws-modules/ecs/aws"
              version = "6.0.0"
              name    = "prod"
            }
            module "absent" {
              source = "git::https://example.com/x.git"
            }
        ''',
        ".terraform/modules/modules.json": '{"Modules": [{"Key": "", "Source": "", "Dir": "."},'
        ' {"Key": "ecs", "Source": "registry.terraform.io/terraform-aws-modules/ecs/aws",'
        ' "Version": "6.0.0", "Dir": ".terraform/modules/ecs"},'
        ' {"Key": "ecs.inner", "Source": "./inner", "Dir": ".terraform/modules/ecs/inner"}]}',
        ".terraform/modules/ecs/main.tf": '''
            variable "name" {}
            module "inner" {
              source = "./inner"
              n      = var.name
            }
        ''',
        ".terraform/modules/ecs/inner/main.tf": '''
            variable "n" {}
            resource "test_thing" "x" { v = var.n }
        ''',
    })
    recs = records(tmp_path, T)
    assert recs["module.ecs.module.inner.test_thing.x"].values["v"] == "prod"
    assert len(recs) == 1


def test_typed_values_keep_their_positions(tmp_path):
    """Type conversion ("512" into number, sets, unified maps) keeps where each value was
    written, so findings still point at it."""
    v = values(tmp_path, '''
        variable "containers" {
          type = map(object({
            memory = number
            ports  = optional(set(string), [])
          }))
          default = {
            web = {
              memory = "512"
              ports  = ["b", "a"]
            }
          }
        }
        resource "test_thing" "x" {
          defs = jsonencode([for k, c in var.containers : merge(c, { name = k })])
        }
    ''')
    defs = decode_container_definitions(v["defs"])
    assert defs[0]["memory"] == 512 and list(defs[0]["ports"]) == ["a", "b"]
    assert defs[0].pos["memory"].line == 9


def test_container_keys_match_case_insensitively_where_written(tmp_path):
    from ecslint.model import Location
    from ecslint.sources.taskdef import container_from
    v = values(tmp_path, '''
        resource "test_thing" "x" {
          defs = jsonencode([{
            name       = "app"
            Memory     = 512
            memory     = 256
            entrypoint = ["sh"]
            HealthCheck = { Command = ["CMD", "true"], StartPeriod = 10 }
          }])
        }
    ''')
    raw = decode_container_definitions(v["defs"])[0]
    c = container_from(raw, "x", Location("main.tf"), "main.tf")
    # jsonencode sorts the keys: "Memory" before "memory", the last one wins.
    assert (c.memory, c.entry_point) == (256, ["sh"])
    assert c.health_check.start_period == 10 and c.health_check.command == ["CMD", "true"]
    assert c.loc("memory").line == 6 and c.loc("entry_point").line == 7
