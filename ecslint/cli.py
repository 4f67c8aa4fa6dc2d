"""Command line: commands, options and exit codes. No linting logic lives here.

Start-up time matters (ecslint runs as a pre-commit hook), so this module imports only click
and ecslint's version at import time; everything else is imported by the command that uses it.
"""

from __future__ import annotations

import os
import sys
from typing import Callable

import click

from ecslint import __version__
from ecslint.report import FORMATS, names

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

FAIL_ON = ("error", "warning", "info")


class UsageError(Exception):
    """Stops a command with one line on stderr and exit code 2 (bad option, config...).
    `extra`: keys for the JSON document of the failed run (the audit's `not_verified`)."""

    def __init__(self, message: str, extra: dict | None = None) -> None:
        super().__init__(message)
        self.extra = extra or {}


class _Argument(click.Argument):
    """A positional argument with a help text (plain click arguments have none)."""

    def __init__(self, *args, help: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.help = help


class _Command(click.Command):
    """Lists the arguments and their help texts in an "Arguments" section before the options.

    The help is laid out here, section by section, so that it is the same on every click
    from 8.2: click 8.5 writes a section of documented arguments of its own
    (`format_arguments`, called by its `format_help`), which this replaces.
    """

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.format_usage(ctx, formatter)
        self.format_help_text(ctx, formatter)
        self.format_arguments(ctx, formatter)
        self.format_options(ctx, formatter)
        self.format_epilog(ctx, formatter)

    def invoke(self, ctx: click.Context):
        """Run the command; a usage error or a crash ends it as `fatal` says."""
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            return fatal(ctx.params, str(exc), exc.extra)
        except (click.exceptions.Exit, click.ClickException):
            raise  # click's own exits and usage errors (exit code 2 already)
        except Exception as exc:  # noqa: BLE001 - a crash must never read as findings
            from ecslint.limits import internal_error, show_traceback

            show_traceback(exc)
            return fatal(ctx.params, internal_error(exc))

    def format_arguments(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(param.get_usage_pieces(ctx)[0],
                 (param.help or "") + (" [required]" if param.required else ""))
                for param in self.get_params(ctx) if isinstance(param, _Argument)]
        if rows:
            with formatter.section("Arguments"):
                formatter.write_dl(rows)


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
        """A command returns its exit code; this is where it becomes the process's."""
        try:
            code = super().invoke(ctx)
        except UsageError as exc:
            click.echo(f"ecslint: error: {exc}", err=True)
            code = EXIT_USAGE
        except KeyboardInterrupt:
            code = 130  # click would print "Aborted!" and exit 1
        ctx.exit(code or EXIT_OK)


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


def _report_options(command_name: str):
    """Options shared by `check` and `audit`, listed in this order."""
    def decorate(command):
        for decorator in reversed(_shared_options(command_name)):
            command = decorator(command)
        return command
    return decorate


def _shared_options(command_name: str) -> tuple:
    return (
        click.option("--format", type=click.Choice(names(command_name), case_sensitive=True),
                     default=None, help="Output format (default: concise)."),
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
        click.option("--progress/--no-progress", default=None,
                     help="Progress on stderr (default: when it is a terminal and not CI; "
                          "also ECSLINT_PROGRESS=1/0)."),
    )


def settings_for(config: str | None, select, ignore, fail_on: str | None, fs=None):
    """Load the configuration and apply the command line to it. `select` and `ignore` are
    sequences of code prefixes (or None); `fail_on` is a severity name (or None); `fs` is
    the check's file system (ecslint.cache.fsio)."""
    from ecslint.config import ConfigError, load_settings
    from ecslint.model import Severity

    select, ignore = list(select or []), list(ignore or [])
    try:
        settings = load_settings(config, fs)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    from ecslint.checks import RULES_BY_CODE

    for prefix in select + ignore:
        if not any(code.startswith(prefix.upper()) for code in RULES_BY_CODE):
            raise UsageError(f"unknown rule code or prefix: {prefix}")
    if select:
        settings.select = [s.upper() for s in select]
    if ignore:
        settings.ignore = settings.ignore + [s.upper() for s in ignore]
    if fail_on is not None:
        settings.fail_on = Severity(fail_on)
    return settings


Writer = Callable[[str, str], None]  # (path, text): writes an --output file


# The report formats written on a fatal error too, holding it: CI reads them.
_DOCUMENTS = ("json", "sarif", "junit")


def fatal(params: dict, message: str, extra: dict | None = None,
          write: Writer | None = None) -> int:
    """End a command that failed before its report (a usage or configuration error, an
    audit that cannot reach AWS, a crash): the document its --format asks for (json,
    sarif, junit), valid and holding the error (JSON: `errors`, and `extra`'s keys), then
    one line on stderr. The exit code is 2: something could not be checked, never
    "findings" and never "all clear"."""
    if params.get("format") in _DOCUMENTS:
        from ecslint.engine import Report
        from ecslint.report import render

        report = Report(usage_errors=[message], extra={"errors": [message], **(extra or {})})
        try:
            text = render(report, params["format"])
            if params.get("output"):
                (write or write_file)(params["output"], text)
            else:
                sys.stdout.write(text)
        except (UsageError, OSError):
            pass  # nowhere to write it: the line below still says what happened
    click.echo(f"ecslint: error: {message}", err=True)
    return EXIT_USAGE


def write_file(path: str, text: str) -> None:
    try:
        # A lone surrogate (from a JSON string, a file name that is not UTF-8) is escaped.
        with open(path, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def use_color(no_color: bool, output: str | None, human: bool) -> bool:
    """Colour for people reading a terminal: never in a file or a machine format, never
    with --no-color or NO_COLOR; FORCE_COLOR asks for it where stdout is not a terminal
    (a CI log that shows colour). Both variables count when set and not empty."""
    if no_color or output is not None or not human or os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or sys.stdout.isatty()


def emit(report, settings, fmt: str | None, output: str | None, statistics: bool,
         no_color: bool, write: Writer = write_file, fs=None) -> int:
    """Print or write the report, then any usage errors (last, where they are seen: the
    same order whether the output is replayed from the result cache or not); the exit
    code. `fs`: the run's file system (ecslint.cache.fsio), for formats that look at it."""
    from collections import Counter

    from ecslint.cache.fsio import FileSystem
    from ecslint.report import render

    fmt_name = fmt or "concise"
    human = FORMATS[fmt_name].human
    text = render(report, fmt_name, color=use_color(no_color, output, human),
                  fail_on=settings.fail_on, fs=fs or FileSystem())
    if output:
        write(output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if statistics:
        counts = Counter((f.code, f.name) for f in report.findings)
        stream = sys.stderr if output is None and not human else sys.stdout
        for (code, name), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            stream.write(f"{n:5d}\t{code}\t{name}\n")
    for message in report.usage_errors:
        click.echo(f"ecslint: error: {message}", err=True)
    return exit_code(report, settings)


def exit_code(report, settings) -> int:
    from ecslint.report import fails

    if report.usage_errors or report.parse_errors:
        return EXIT_USAGE
    if any(fails(f, settings.fail_on) for f in report.findings):
        return EXIT_FINDINGS
    return EXIT_OK


@app.command()
@click.argument("paths", nargs=-1, cls=_Argument, help="Files or directories (default: .).")
@_report_options("check")
@click.option("--no-cache", is_flag=True, default=False,
              help="Do not read or write the parse and result caches (also "
                   "ECSLINT_NO_CACHE=1).")
@click.option("--baseline", default=None,
              help="Report only findings not recorded in this baseline file.")
@click.option("--write-baseline", default=None,
              help="Record today's findings in FILE and exit 0.")
@click.option("--skip-non-ecs-json", is_flag=True, default=False,
              help="Scope named JSON files as a directory walk does: one that does not parse "
                   "is ECS001 only if it looks like a task definition or a plan (the "
                   "pre-commit hook passes it).")
def check(paths, format, output, select, ignore, fail_on, config, statistics, no_color,
          progress, no_cache, baseline, write_baseline, skip_non_ecs_json) -> int:
    """Check Terraform (HCL, plan JSON) and task-definition JSON files."""
    from ecslint.cache.store import disabled_by_env
    from ecslint.progress import Progress

    options = dict(paths=paths, format=format, output=output, select=select, ignore=ignore,
                   fail_on=fail_on, config=config, statistics=statistics, no_color=no_color,
                   no_cache=no_cache, baseline=baseline, write_baseline=write_baseline,
                   skip_non_ecs_json=skip_non_ecs_json)

    def shown() -> Progress:
        # Only a check that takes a while shows how far it got; bound to stderr before
        # the result cache captures it, so no replay ever holds progress.
        return Progress.on_stderr("ecslint check", "Terraform roots", progress, delay=2.0)

    if no_cache or write_baseline or disabled_by_env():
        from ecslint.cache.fsio import FileSystem

        return _check(FileSystem(), write_file, progress=shown(), **options)[0]
    # The result cache (ecslint.cache.memo): an unchanged run replays its output.
    from ecslint.cache.memo import Memo

    memo = Memo(["check", paths, format, output, select, ignore, fail_on, config, statistics,
                 no_color, baseline, skip_non_ecs_json])
    outputs = memo.replay()
    if outputs is None:
        options["progress"] = shown()
        outputs = memo.record(lambda fs: _recorded_check(fs, options))
    else:
        for path, text in outputs.files.items():
            write_file(path, text)
    # Flushed here, not at exit: a caller in the same process (click 8.2's CliRunner) reads
    # the streams when the command returns.
    for stream, text in ((sys.stdout, outputs.stdout), (sys.stderr, outputs.stderr)):
        stream.write(text)
        stream.flush()
    return outputs.code


def _recorded_check(fs, options: dict) -> tuple[int, dict[str, str]]:
    """A check whose --output files are kept (for replay); usage errors end it as usual."""
    written: dict[str, str] = {}

    def keep(path: str, text: str) -> None:
        write_file(path, text)
        written[path] = text

    try:
        return _check(fs, keep, **options)[0], written
    except UsageError as exc:
        return fatal(options, str(exc), exc.extra, keep), written


def _check(fs, write: Writer, paths, format, output, select, ignore, fail_on, config,
           statistics, no_color, no_cache, baseline, write_baseline, skip_non_ecs_json=False,
           progress=None) -> tuple[int, dict[str, str]]:
    """The check: its exit code and the files it wrote (path -> text). `progress`: an
    ecslint.progress.Progress, erased before anything is printed."""
    from ecslint import check as check_mod
    from ecslint.cache.parse import make_parser
    from ecslint.engine import display_path

    written: dict[str, str] = {}

    def keep(path: str, text: str) -> None:
        write(path, text)
        written[path] = text

    paths = list(paths) or ["."]
    settings = settings_for(config, select, ignore, fail_on, fs)

    def tell(done: int, total: int, root: str) -> None:
        progress.update(done, total, display_path(root))

    try:
        report = check_mod.run(paths, settings, make_parser(no_cache), fs,
                               tell if progress is not None else None,
                               walk_json=skip_non_ecs_json)
    finally:
        if progress is not None:
            progress.close()
    if not report.files and not report.usage_errors:
        report.usage_errors.append("no Terraform or task-definition files found in "
                                   + ", ".join(paths))
    if write_baseline or baseline:
        from ecslint import baseline as baseline_mod

        try:
            if write_baseline:
                n = baseline_mod.write(report.findings, write_baseline)
                click.echo(f"ecslint: wrote {n} finding{'' if n == 1 else 's'} to "
                           f"{write_baseline}", err=True)
                return _baseline_written(report), written
            report.findings = baseline_mod.filter_new(report.findings,
                                                      baseline_mod.load(baseline, fs))
        except baseline_mod.BaselineError as exc:
            raise UsageError(str(exc)) from None
    return emit(report, settings, format, output, statistics, no_color, keep, fs), written


def _baseline_written(report) -> int:
    """After --write-baseline: exit 0, or say why not and exit 2. Parse errors are never
    baselined (they must fail until fixed), so they are shown here, where nothing else
    shows them."""
    from ecslint.report.concise_format import line

    broken = [f for f in report.findings if f.code == "ECS001"]
    for f in broken:
        click.echo(line(f), err=True)
    for message in report.usage_errors:
        click.echo(f"ecslint: error: {message}", err=True)
    if broken:
        n = len(broken)
        click.echo(f"ecslint: error: {n} parse error{'' if n == 1 else 's'} above (ECS001, "
                   f"never baselined): fix {'it' if n == 1 else 'them'}, then write the "
                   "baseline again", err=True)
    return EXIT_USAGE if broken or report.usage_errors else EXIT_OK


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
@click.option("--connect-timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds to wait for a connection to AWS (default: 5).")
@click.option("--read-timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds to wait for an answer (default: 15); a call is given up after 3 "
                   "attempts without one.")
@click.option("--deadline", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds the whole audit may take (default: 600).")
@_report_options("audit")
def audit(region, all_regions, profile, cluster, service, since, terraform, max_concurrency,
          allow_empty, connect_timeout, read_timeout, deadline, format, output, select, ignore,
          fail_on, config, statistics, no_color, progress) -> int:
    """Audit a live AWS account, read-only, and explain why tasks stopped."""
    from ecslint.progress import Progress

    try:
        from ecslint.audit.command import AuditError, AuditRequest, run_audit
    except ModuleNotFoundError as exc:
        # boto3 is a dependency; an install made with --no-deps (or a broken one) lacks it.
        if (exc.name or "").split(".")[0] not in ("boto3", "botocore"):
            raise
        raise UsageError(f"the audit needs {exc.name.split('.')[0]}, which is not installed: "
                         "python3 -m pip install boto3") from None

    if all_regions and region:
        raise UsageError("--all-regions and --region exclude each other")
    settings = settings_for(config, select, ignore, fail_on)
    request = AuditRequest(region=region[0] if len(region) == 1 else None, profile=profile,
                           clusters=list(cluster), services=list(service), since=since,
                           terraform=terraform, regions=list(region) if len(region) > 1 else [],
                           all_regions=all_regions, allow_empty=allow_empty)
    if max_concurrency is not None:
        request.max_concurrency = max_concurrency
    for name, value in (("connect_timeout", connect_timeout), ("read_timeout", read_timeout),
                        ("deadline", deadline)):
        if value is not None:
            setattr(request, name, value)
    shown = Progress.on_stderr("ecslint audit", "steps", progress)
    try:
        report = run_audit(request, settings, progress=shown.update)
    except AuditError as exc:
        raise UsageError(str(exc), exc.extra) from None
    finally:
        shown.close()
    return emit(report, settings, format, output, statistics, no_color)


@app.command("inspect")
@click.argument("paths", nargs=-1, cls=_Argument, help="Files or directories (default: .).")
@click.option("--format", type=click.Choice(("text", "json"), case_sensitive=True),
              default="text", show_default=True, help="A readable tree, or JSON.")
@click.option("--output", "-o", default=None, help="Write the model to FILE.")
@click.option("--no-cache", is_flag=True, default=False,
              help="Do not read or write the parse cache (also ECSLINT_NO_CACHE=1).")
def inspect_cmd(paths, format, output, no_cache) -> int:
    """Print the model the rules see, from exactly the inputs `check` reads."""
    from ecslint import inspect
    from ecslint.cache.fsio import FileSystem
    from ecslint.cache.parse import make_parser
    from ecslint.check import load_inputs

    paths = list(paths) or ["."]
    loaded = load_inputs(paths, make_parser(no_cache), FileSystem())
    for missing in loaded.inputs.missing:
        click.echo(f"ecslint: error: {missing}: no such file or directory", err=True)
    doc = inspect.document(loaded.models, loaded.problems)
    text = inspect.render_json(doc) if format == "json" else inspect.render_text(doc)
    if output:
        write_file(output, text)
    else:
        sys.stdout.write(text)
    return EXIT_USAGE if loaded.inputs.missing or any(
        p.code == "ECS001" for p in loaded.problems) else EXIT_OK


@app.command("rules")
@click.option("--format", type=click.Choice(("concise", "json"), case_sensitive=True),
              default=None, help="concise (a table, the default) or json.")
def rules_cmd(format: str | None) -> int:
    """List the rules: code, name, default severity, summary."""
    import json

    from ecslint.checks import ALL_RULES

    if format == "json":
        click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity.value,
                                "summary": r.summary, "live_only": r.live_only, "url": r.url}
                               for r in ALL_RULES], indent=2))
        return EXIT_OK
    for r in ALL_RULES:
        click.echo(f"{r.code}  {r.name:<36} {r.severity.value:<8} {r.summary}")
    return EXIT_OK


@app.command("rule")
@click.argument("code", cls=_Argument, help="A rule code, e.g. ECS201.")
def rule_cmd(code: str) -> int:
    """Print a rule's documentation."""
    from ecslint import resources
    from ecslint.checks import RULES_BY_CODE

    code = code.upper()
    if code not in RULES_BY_CODE:
        raise UsageError(f"unknown rule {code}; `ecslint rules` lists them")
    click.echo(resources.read_text(f"{code}.md"), nl=False)
    return EXIT_OK


def main() -> None:
    """The entry point. A crash outside any command (a command's own is handled by
    `fatal`) is one line and exit code 2, never click's traceback and exit code 1."""
    for stream in (sys.stdout, sys.stderr):
        try:  # text that cannot be encoded (a lone surrogate in an input) is escaped
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass  # not a text file: left as it is
    try:
        app(prog_name="ecslint")
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001
        from ecslint.limits import internal_error, show_traceback

        show_traceback(exc)
        click.echo(f"ecslint: error: {internal_error(exc)}", err=True)
        sys.exit(EXIT_USAGE)
