"""Command line: commands, options and exit codes. No linting logic lives here."""

from __future__ import annotations

import enum
import os
import sys
from collections import Counter
from typing import List, Optional

import typer

from ecslint import __version__

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="ecslint: lint ECS task definitions and Terraform before they cause "
                       "outages; audit a live account read-only.",
                  context_settings={"help_option_names": ["-h", "--help"]})

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class Format(str, enum.Enum):
    concise = "concise"
    full = "full"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    github = "github"


class FailOn(str, enum.Enum):
    error = "error"
    warning = "warning"
    info = "info"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ecslint {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Show the version and exit.")) -> None:
    """Stop ECS outages before they ship."""


def fail(message: str) -> None:
    typer.echo(f"ecslint: error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


# Options shared by `check` and `audit`.
FormatOpt = typer.Option(None, "--format", help="Output format (default: concise).")
OutputOpt = typer.Option(None, "--output", "-o", help="Write the report to FILE.")
SelectOpt = typer.Option(None, "--select", help="Only these code prefixes (repeatable).")
IgnoreOpt = typer.Option(None, "--ignore", help="Skip these code prefixes (repeatable).")
FailOnOpt = typer.Option(None, "--fail-on", help="Lowest severity that fails (default: warning).")
ConfigOpt = typer.Option(None, "--config", help="Configuration file (pyproject.toml or "
                                                ".ecslint.toml).")
StatsOpt = typer.Option(False, "--statistics", help="Print counts per rule after the report.")
NoColorOpt = typer.Option(False, "--no-color", help="Disable colored output.")


def settings_for(config: Optional[str], select: Optional[List[str]],
                 ignore: Optional[List[str]], fail_on: Optional[FailOn]):
    from ecslint.config import ConfigError, load_settings
    from ecslint.model import Severity

    try:
        settings = load_settings(config)
    except ConfigError as exc:
        fail(str(exc))
    from ecslint.checks import RULES_BY_CODE

    for prefix in (select or []) + (ignore or []):
        if not any(code.startswith(prefix.upper()) for code in RULES_BY_CODE):
            fail(f"unknown rule code or prefix: {prefix}")
    if select:
        settings.select = [s.upper() for s in select]
    if ignore:
        settings.ignore = settings.ignore + [s.upper() for s in ignore]
    if fail_on is not None:
        settings.fail_on = Severity(fail_on.value)
    return settings


def emit(report, settings, fmt: Optional[Format], output: Optional[str], statistics: bool,
         no_color: bool) -> None:
    from ecslint.report import render

    fmt_name = (fmt or Format.concise).value
    to_tty = output is None and sys.stdout.isatty()
    color = to_tty and not no_color and not os.environ.get("NO_COLOR") and \
        fmt_name in ("concise", "full")
    text = render(report, fmt_name, color=color)
    for message in report.usage_errors:
        typer.echo(f"ecslint: error: {message}", err=True)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")
    else:
        sys.stdout.write(text)
    if statistics:
        counts = Counter((f.code, f.name) for f in report.findings)
        stream = sys.stderr if output is None and fmt_name not in ("concise", "full") \
            else sys.stdout
        for (code, name), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            stream.write(f"{n:5d}\t{code}\t{name}\n")
    raise typer.Exit(exit_code(report, settings))


def exit_code(report, settings) -> int:
    if report.usage_errors or report.parse_errors:
        return EXIT_USAGE
    threshold = settings.fail_on.rank
    if any(f.severity.rank >= threshold for f in report.findings):
        return EXIT_FINDINGS
    return EXIT_OK


@app.command()
def check(
    paths: List[str] = typer.Argument(None, help="Files or directories (default: .)."),
    format: Optional[Format] = FormatOpt,
    output: Optional[str] = OutputOpt,
    select: Optional[List[str]] = SelectOpt,
    ignore: Optional[List[str]] = IgnoreOpt,
    fail_on: Optional[FailOn] = FailOnOpt,
    config: Optional[str] = ConfigOpt,
    statistics: bool = StatsOpt,
    no_color: bool = NoColorOpt,
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the parse "
                                  "cache (also ECSLINT_NO_CACHE=1)."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Report only findings "
                                           "not recorded in this baseline file."),
    write_baseline: Optional[str] = typer.Option(None, "--write-baseline", help="Record "
                                                 "today's findings in FILE and exit 0."),
) -> None:
    """Check Terraform (HCL, plan JSON) and task-definition JSON files."""
    from ecslint import check as check_mod
    from ecslint.cache import parse_function

    settings = settings_for(config, select, ignore, fail_on)
    report = check_mod.run(paths or ["."], settings, parse=parse_function(no_cache))
    if not report.files and not report.usage_errors:
        report.usage_errors.append("no Terraform or task-definition files found in "
                                   + ", ".join(paths or ["."]))
    if write_baseline or baseline:
        from ecslint import baseline as baseline_mod

        try:
            if write_baseline:
                n = baseline_mod.write(report.findings, write_baseline)
                typer.echo(f"ecslint: wrote {n} findings to {write_baseline}", err=True)
                # Parse errors are never baselined: they must fail until fixed.
                failed = report.usage_errors or report.parse_errors
                raise typer.Exit(EXIT_USAGE if failed else EXIT_OK)
            report.findings = baseline_mod.filter_new(report.findings, baseline_mod.load(baseline))
        except baseline_mod.BaselineError as exc:
            fail(str(exc))
    emit(report, settings, format, output, statistics, no_color)


@app.command()
def audit(
    region: Optional[str] = typer.Option(None, "--region", help="AWS region (default: the "
                                         "credential chain's)."),
    profile: Optional[str] = typer.Option(None, "--profile", help="AWS named profile."),
    cluster: Optional[List[str]] = typer.Option(None, "--cluster", help="Cluster name or ARN "
                                                "(repeatable; default: all)."),
    service: Optional[List[str]] = typer.Option(None, "--service", help="Only this service "
                                                "(repeatable)."),
    since: str = typer.Option("24h", "--since", help="Look-back window, e.g. 90m, 24h, 7d."),
    terraform: Optional[str] = typer.Option(None, "--terraform", help="Terraform directory to "
                                            "compare with the live configuration (ECS905)."),
    format: Optional[Format] = FormatOpt,
    output: Optional[str] = OutputOpt,
    select: Optional[List[str]] = SelectOpt,
    ignore: Optional[List[str]] = IgnoreOpt,
    fail_on: Optional[FailOn] = FailOnOpt,
    config: Optional[str] = ConfigOpt,
    statistics: bool = StatsOpt,
    no_color: bool = NoColorOpt,
) -> None:
    """Audit a live AWS account, read-only, and explain why tasks stopped."""
    from ecslint.audit.command import AuditError, AuditRequest, run_audit

    settings = settings_for(config, select, ignore, fail_on)
    request = AuditRequest(region=region, profile=profile, clusters=cluster or [],
                           services=service or [], since=since, terraform=terraform)
    try:
        report = run_audit(request, settings)
    except AuditError as exc:
        fail(str(exc))
    emit(report, settings, format, output, statistics, no_color)


@app.command("rules")
def rules_cmd(format: Optional[Format] = typer.Option(None, "--format",
                                                      help="concise (table) or json.")) -> None:
    """List the rules: code, name, default severity, summary."""
    import json

    from ecslint.checks import ALL_RULES

    if format is not None and format not in (Format.concise, Format.json):
        fail("ecslint rules supports --format concise or json")
    if format == Format.json:
        typer.echo(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity.value,
                                "summary": r.summary, "live_only": r.live_only, "url": r.url}
                               for r in ALL_RULES], indent=2))
        return
    for r in ALL_RULES:
        typer.echo(f"{r.code}  {r.name:<36} {r.severity.value:<8} {r.summary}")


@app.command("rule")
def rule_cmd(code: str = typer.Argument(..., help="A rule code, e.g. ECS201.")) -> None:
    """Print a rule's documentation."""
    from ecslint import resources
    from ecslint.checks import RULES_BY_CODE

    code = code.upper()
    if code not in RULES_BY_CODE:
        fail(f"unknown rule {code}; `ecslint rules` lists them")
    typer.echo(resources.read_text(f"{code}.md"), nl=False)


def main() -> None:
    try:
        app(prog_name="ecslint")
    except KeyboardInterrupt:
        sys.exit(130)
