"""The ``bmkg`` command.

The root group lives with the shared ontology handle. Other packages add their
subcommands through the ``bmkg.commands`` entry-point group, so ``ingest`` and
``server`` never import each other.

Exit codes follow pySHACL's: 0 all good, 1 the checked thing fails, 2 it could
not be loaded or run.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from importlib.metadata import entry_points
from pathlib import Path

import click

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2


class PluginGroup(click.Group):
    """A group whose subcommands also come from the ``bmkg.commands`` entry points.

    A plugin is imported only when its command runs (or help lists it), so a
    quick command does not pay for the heavy imports of the others.
    """

    def _plugins(self) -> dict:
        return {entry.name: entry for entry in entry_points(group="bmkg.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        entry = self._plugins().get(name)
        if entry is None:
            return None
        try:
            return entry.load()
        except ImportError as error:
            raise click.ClickException(f"command {name!r} could not be loaded: {error}") from error


@click.group(cls=PluginGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """bmkg: the Big Model knowledge graph."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@main.group()
def ontology() -> None:
    """Check the ontology and generate what is derived from it."""


@ontology.command("check")
@click.option("--reasoner/--no-reasoner", default=True, show_default=True,
              help="Also classify the ontology with HermiT (needs Java).")
def check(reasoner: bool) -> None:
    """Run the quality rules in queries/qc/ and the HermiT consistency check."""
    from ontology import quality

    failed = False
    for result in quality.run_rules():
        status = "ok" if result.passed else f"FAIL ({len(result.rows)} rows)"
        click.echo(f"{status:>14}  {result.name}: {result.title}")
        for row in result.rows:
            failed = True
            click.echo("                " + ", ".join(f"{k}={v}" for k, v in row.items()))
    if reasoner:
        try:
            classification = quality.classify()
        except quality.InconsistentOntology as error:
            click.echo(f"{'FAIL':>14}  consistency: {error}")
            sys.exit(EXIT_FAILED)
        except (OSError, RuntimeError) as error:  # no Java, or HermiT crashed
            click.echo(f"could not run HermiT: {error}", err=True)
            sys.exit(EXIT_UNUSABLE)
        if classification.unsatisfiable:
            failed = True
            click.echo(f"{'FAIL':>14}  unsatisfiable classes: {', '.join(classification.unsatisfiable)}")
        else:
            click.echo(f"{'ok':>14}  consistency: HermiT finds the ontology consistent, no unsatisfiable class")
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


@ontology.command("generate")
def generate_sources() -> None:
    """Rewrite ontology/terms.py and ontology/context.jsonld from bmkg.ttl."""
    from ontology import generate

    for path in generate.write_sources():
        click.echo(f"wrote {path}")


@ontology.command("docs")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
def docs(out_dir: Path) -> None:
    """Write the ontology's HTML documentation (pyLODE) into OUT_DIR."""
    from ontology import generate

    click.echo(f"wrote {generate.write_docs(out_dir)}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--build-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Day that dates may not be after (default: today).")
def validate(files: tuple[Path, ...], build_date: dt.datetime | None) -> None:
    """Validate RDF FILES against the bmkg SHACL shapes.

    The syntax follows the file name (.ttl, .nt, .nq, .trig, .rdf/.owl, .jsonld,
    .n3; anything else is read as Turtle), and FILE.gz is decompressed first.
    N-Quads and TriG are datasets: the union of all their graphs is validated,
    as a build validates the union of its graphs. Exit 0 when the files conform
    (warnings allowed), 1 when they do not, 2 when a file cannot be parsed
    (FILE:LINE:COLUMN: what is wrong).
    """
    from ontology import validation

    try:
        data = validation.read_graph(files)
    except validation.ParseError as error:
        click.echo(f"cannot parse {error}", err=True)
        sys.exit(EXIT_UNUSABLE)
    report = validation.validate(data, build_date.date() if build_date else None)
    for finding in report.findings:
        click.echo(finding.describe())
    click.echo(f"{len(report.violations)} violations, {len(report.warnings)} warnings")
    sys.exit(EXIT_OK if report.conforms else EXIT_FAILED)

