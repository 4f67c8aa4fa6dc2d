"""Command line: commands, options and exit codes. No linting logic lives here.

Start-up time matters (ecslint runs as a pre-commit hook), so this module imports only click
and ecslint's version at import time; everything else is imported by the command that uses it.
"""

from __future__ import annotations

import os
import sys

import click

from ecslint import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

FORMATS = ("concise", "full", "json", "sarif", "junit", "github")
FAIL_ON = ("error", "warning", "info")


class _Argument(click.Argument):
    """A positional argument with a help text (plain click arguments have none)."""

    def __init__(self, *args, help: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.help = help


class _Command(click.Command):
    """Lists the arguments and their help texts in an "Arguments" section before the options."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(param.get_usage_pieces(ctx)[0],
                 (param.help or "") + (" [required]" if param.required else ""))
                for param in self.get_params(ctx) if isinstance(param, _Argument)]
        if rows:
            with formatter.section("Arguments"):
                formatter.write_dl(rows)
        super().format_options(ctx, formatter)


class _Group(click.Group):
    command_class = _Command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # in definition order, not sorted

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # No arguments: the help on stdout and exit 2, whatever click's version does.
        if not args and not ctx.resilient_parsing:
            click.echo(ctx.get_help(), color=ctx.color)
            ctx.exit(EXIT_USAGE)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # click would print "Aborted!" and exit 1.
            raise click.exceptions.Exit(130) from None


def _version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"ecslint {__version__}")
        ctx.exit(EXIT_OK)


@click.group(cls=_Group,
             help="ecslint: lint ECS task definitions and Terraform before they cause "
                  "outages; audit a live account read-only.",
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show the version and exit.")
def app() -> None:
    """Stop ECS outages before they ship."""


def fail(message: str) -> None:
    click.echo(f"ecslint: error: {message}", err=True)
    raise click.exceptions.Exit(EXIT_USAGE)


def _report_options(command=None, *, formats=FORMATS):
    """Options shared by `check` and `audit`, listed in this order."""
    if command is None:  # `@_report_options(formats=...)`
        return lambda command: _report_options(command, formats=formats)
    for decorator in reversed((
        click.option("--format", type=click.Choice(formats, case_sensitive=True), default=None,
                     help="Output format (default: concise)."),
        click.option("--output", "-o", default=None, help="Write the report to FILE."),
        click.option("--select", multiple=True, help="Only these code prefixes (repeatable)."),
        click.option("--ignore", multiple=True, help="Skip these code prefixes (repeatable)."),
        click.option("--fail-on", type=click.Choice(FAIL_ON, case_sensitive=True), default=None,
                     help="Lowest severity that fails (default: warning)."),
        click.option("--config", default=None, help="Configuration file (pyproject.toml or "
                                                     ".ecslint.toml)."),
        click.option("--statistics", is_flag=True, default=False,
                     help="Print counts per rule after the report."),
        click.option("--no-color", is_flag=True, default=False, help="Disable colored output."),
    )):
        command = decorator(command)
    return command


def settings_for(config: str | None, select, ignore, fail_on: str | None):
    """Load the configuration and apply the command line to it. `select` and `ignore` are
    sequences of code prefixes (or None); `fail_on` is a severity name (or None)."""
    from ecslint.config import ConfigError, load_settings
    from ecslint.model import Severity

    select, ignore = list(select or []), list(ignore or [])
    try:
        settings = load_settings(config)
    except ConfigError as exc:
        fail(str(exc))
    from ecslint.checks import RULES_BY_CODE

    for prefix in select + ignore:
        if not any(code.startswith(prefix.upper()) for code in RULES_BY_CODE):
            fail(f"unknown rule code or prefix: {prefix}")
    if select:
        settings.select = [s.upper() for s in select]
    if ignore:
        settings.ignore = settings.ignore + [s.upper() for s in ignore]
    if fail_on is not None:
        settings.fail_on = Severity(fail_on)
    return settings


def emit(report, settings, fmt: str | None, output: str | None, statistics: bool,
         no_color: bool, text: str | None = None) -> None:
    """Writes the report (`text` when given: one rendered by the command itself) and exits."""
    from collections import Counter

    from ecslint.report import render

    fmt_name = fmt or "concise"
    to_tty = output is None and sys.stdout.isatty()
    color = to_tty and not no_color and not os.environ.get("NO_COLOR") and \
        fmt_name in ("concise", "full")
    if text is None:
        text = render(report, fmt_name, color=color)
    for message in report.usage_errors:
        click.echo(f"ecslint: error: {message}", err=True)
    if output:
        _write(output, text)
    else:
        sys.stdout.write(text)
    if statistics:
        counts = Counter((f.code, f.name) for f in report.findings)
        stream = sys.stderr if output is None and fmt_name not in ("concise", "full") \
            else sys.stdout
        for (code, name), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            stream.write(f"{n:5d}\t{code}\t{name}\n")
    raise click.exceptions.Exit(exit_code(report, settings))


def exit_code(report, settings) -> int:
    if report.usage_errors or report.parse_errors:
        return EXIT_USAGE
    threshold = settings.fail_on.rank
    if any(f.severity.rank >= threshold for f in report.findings):
        return EXIT_FINDINGS
    return EXIT_OK


@app.command()
@click.argument("paths", nargs=-1, cls=_Argument, help="Files or directories (default: .).")
@_report_options
@click.option("--no-cache", is_flag=True, default=False,
              help="Do not read or write the parse and result caches (also "
                   "ECSLINT_NO_CACHE=1).")
@click.option("--baseline", default=None,
              help="Report only findings not recorded in this baseline file.")
@click.option("--write-baseline", default=None,
              help="Record today's findings in FILE and exit 0.")
def check(paths, format, output, select, ignore, fail_on, config, statistics, no_color,
          no_cache, baseline, write_baseline) -> None:
    """Check Terraform (HCL, plan JSON) and task-definition JSON files."""
    from ecslint.store import disabled_by_env

    if no_cache or write_baseline or disabled_by_env():
        _check(paths, format, output, select, ignore, fail_on, config, statistics, no_color,
               no_cache, baseline, write_baseline)
        return
    # The result cache (ecslint.memo): an unchanged run replays its output.
    from ecslint.memo import Memo

    memo = Memo(["check", paths, format, output, select, ignore, fail_on, config, statistics,
                 no_color, baseline])
    outputs = memo.replay()
    if outputs is None:
        def run() -> int:
            try:
                _check(paths, format, output, select, ignore, fail_on, config, statistics,
                       no_color, no_cache, baseline, write_baseline)
            except click.exceptions.Exit as exc:
                return exc.exit_code
            return EXIT_OK

        outputs = memo.record(run, _written)
    else:
        for path, text in outputs.files.items():
            _write(path, text)
    sys.stdout.write(outputs.stdout)
    sys.stderr.write(outputs.stderr)
    raise click.exceptions.Exit(outputs.code)


_written: dict[str, str] = {}  # files written by this run (--output), for the result cache


def _write(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    _written[path] = text


def _check(paths, format, output, select, ignore, fail_on, config, statistics, no_color,
           no_cache, baseline, write_baseline) -> None:
    from ecslint import check as check_mod
    from ecslint.cache import parse_function

    paths = list(paths) or ["."]
    settings = settings_for(config, select, ignore, fail_on)
    report = check_mod.run(paths, settings, parse=parse_function(no_cache))
    if not report.files and not report.usage_errors:
        report.usage_errors.append("no Terraform or task-definition files found in "
                                   + ", ".join(paths))
    if write_baseline or baseline:
        from ecslint import baseline as baseline_mod

        try:
            if write_baseline:
                n = baseline_mod.write(report.findings, write_baseline)
                click.echo(f"ecslint: wrote {n} findings to {write_baseline}", err=True)
                # Parse errors are never baselined: they must fail until fixed.
                failed = report.usage_errors or report.parse_errors
                raise click.exceptions.Exit(EXIT_USAGE if failed else EXIT_OK)
            report.findings = baseline_mod.filter_new(report.findings, baseline_mod.load(baseline))
        except baseline_mod.BaselineError as exc:
            fail(str(exc))
    emit(report, settings, format, output, statistics, no_color)


@app.command()
@click.option("--region", multiple=True,
              help="AWS region (repeatable; default: the credential chain's).")
@click.option("--all-regions", is_flag=True, default=False,
              help="Every region enabled for the account where ECS is offered.")
@click.option("--profile", default=None, help="AWS named profile.")
@click.option("--cluster", multiple=True,
              help="Cluster name or ARN (repeatable; default: all).")
@click.option("--service", multiple=True, help="Only this service (repeatable).")
@click.option("--since", default="24h", show_default=True,
              help="Look-back window, e.g. 90m, 24h, 7d.")
@click.option("--terraform", default=None,
              help="Terraform directory to compare with the live configuration (ECS905).")
@click.option("--max-concurrency", type=click.IntRange(min=1), default=None,
              help="AWS calls in flight per region (default: 10; 1: one at a time).")
@click.option("--allow-empty", is_flag=True, default=False,
              help="A region or filter that matches nothing is not an error.")
@_report_options(formats=(*FORMATS, "html"))
def audit(region, all_regions, profile, cluster, service, since, terraform, max_concurrency,
          allow_empty, format, output, select, ignore, fail_on, config, statistics,
          no_color) -> None:
    """Audit a live AWS account, read-only, and explain why tasks stopped."""
    from ecslint.audit.command import AuditError, AuditRequest, run_audit

    if all_regions and region:
        fail("--all-regions and --region exclude each other")
    settings = settings_for(config, select, ignore, fail_on)
    request = AuditRequest(region=region[0] if len(region) == 1 else None, profile=profile,
                           clusters=list(cluster), services=list(service), since=since,
                           terraform=terraform, regions=list(region) if len(region) > 1 else [],
                           all_regions=all_regions, allow_empty=allow_empty)
    if max_concurrency is not None:
        request.max_concurrency = max_concurrency
    try:
        report = run_audit(request, settings)
    except AuditError as exc:
        fail(str(exc))
    text = None
    if format == "html":
        from ecslint.audit.html_report import render_html

        text = render_html(report)
    emit(report, settings, format, output, statistics, no_color, text)


@app.command("rules")
@click.option("--format", type=click.Choice(FORMATS, case_sensitive=True), default=None,
              help="concise (table) or json.")
def rules_cmd(format: str | None) -> None:
    """List the rules: code, name, default severity, summary."""
    import json

    from ecslint.checks import ALL_RULES

    if format is not None and format not in ("concise", "json"):
        fail("ecslint rules supports --format concise or json")
    if format == "json":
        click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity.value,
                                "summary": r.summary, "live_only": r.live_only, "url": r.url}
                               for r in ALL_RULES], indent=2))
        return
    for r in ALL_RULES:
        click.echo(f"{r.code}  {r.name:<36} {r.severity.value:<8} {r.summary}")


@app.command("rule")
@click.argument("code", cls=_Argument, help="A rule code, e.g. ECS201.")
def rule_cmd(code: str) -> None:
    """Print a rule's documentation."""
    from ecslint import resources
    from ecslint.checks import RULES_BY_CODE

    code = code.upper()
    if code not in RULES_BY_CODE:
        fail(f"unknown rule {code}; `ecslint rules` lists them")
    click.echo(resources.read_text(f"{code}.md"), nl=False)


def main() -> None:
    try:
        app(prog_name="ecslint")
    except KeyboardInterrupt:
        sys.exit(130)
