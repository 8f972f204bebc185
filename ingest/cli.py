"""``bmkg build`` and ``bmkg snapshot``: the ingest commands, plugged into the root CLI."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingest.adapters.registry import SOURCES, added_rdf
from ingest.pipeline import BESIDE, STAGES, BuildFailed, Inputs, build as run_build
from ingest.records import IngestError, SourceError
from ontology import store

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2
UNITS = {"validate": "subjects validated", "reason": "statements derived"}  # what each stage counts


def _source_override(_ctx, _param, values: tuple[str, ...]) -> dict[str, Path]:
    overrides = {}
    for value in values:
        name, _, path = value.partition("=")
        if name not in SOURCES or not path:
            raise click.BadParameter(f"expected NAME=PATH with NAME one of {', '.join(SOURCES)}, got {value!r}")
        overrides[name] = Path(path)
    return overrides


@click.command()
@click.option("--store", "store_path", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Store directory (default: $BMKG_STORE or ./store).")
@click.option("--source", "overrides", multiple=True, callback=_source_override, metavar="NAME=PATH",
              help=f"Read a source from another file, such as a fresh download. Names: {', '.join(SOURCES)}.")
@click.option("--add", "added", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An RDF file (Turtle, N-Triples, JSON-LD, RDF/XML) to add as its own named graph.")
@click.option("--build-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day no date may lie after (default: today).")
@click.option("--quiet", is_flag=True, help="Print only the result line.")
def build(store_path: Path | None, overrides: dict[str, Path], added: tuple[Path, ...],
          build_date: dt.datetime | None, quiet: bool) -> None:
    """Build the graph from the sources into a new store generation.

    Exit 0 when the new generation is published, 1 when the data fails (nothing
    is published and the current generation stays), 2 when the store cannot be used.
    """
    console = Console(stderr=True, quiet=quiet)
    root = store.root_from_env(store_path)
    inputs = Inputs.shipped(overrides, [added_rdf(path) for path in added])
    day = build_date.date() if build_date else None
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.fields[count]}"),
                      TimeElapsedColumn(), console=console, transient=True) as progress:
            task = progress.add_task("building", total=len(STAGES), count="")
            since: dict[str, float] = {}  # the stages running now, from when
            counts: dict[str, str] = {}

            def on_stage(name: str) -> None:
                if BESIDE.get(name) not in since:
                    since.clear()
                    counts.clear()
                since[name] = time.perf_counter()
                progress.update(task, description="stage: " + " + ".join(since), completed=STAGES.index(name),
                                count="")

            def on_count(name: str, count: int) -> None:  # the gate's thread calls it too
                rate = count / max(time.perf_counter() - since.get(name, 0.0), 1e-6)
                counts[name] = f"{count:,} {UNITS.get(name, 'records')}, {rate:,.0f}/s"
                progress.update(task, count="; ".join(list(counts.values())))

            result = run_build(root, inputs, day, on_stage=on_stage, progress=on_count)
    except BuildFailed as failure:
        click.echo(f"build failed at {failure.stage}; the current generation is unchanged:", err=True)
        for problem in failure.problems[:200]:
            click.echo(f"  {problem}", err=True)
        if len(failure.problems) > 200:
            click.echo(f"  ... and {len(failure.problems) - 200} more", err=True)
        sys.exit(EXIT_FAILED)
    except store.StoreError as error:
        click.echo(f"store {root}: {error}", err=True)
        sys.exit(EXIT_UNUSABLE)
    except (SourceError, IngestError) as error:
        click.echo(f"build failed: {error}", err=True)
        sys.exit(EXIT_FAILED)
    _print_summary(console, result)
    click.echo(f"published generation {result.generation.id} in {root} "
               f"({result.summary['triples']} triples, {result.summary['rejected_records']} records rejected)")


def _print_summary(console: Console, result) -> None:
    summary = result.summary
    graphs = Table("named graph", "triples", title="Triples per named graph")
    for iri, count in summary["graphs"].items():
        graphs.add_row(iri, str(count))
    console.print(graphs)
    classes = Table("class", "entities", title="Entities per class")
    for name, count in summary["entities_per_class"].items():
        classes.add_row(name, str(count))
    console.print(classes)
    stages = Table("stage", "seconds", "peak MB", title="Time and peak memory per stage")
    for name, seconds in summary["timings_s"].items():
        stages.add_row(name, f"{seconds:.2f}", f"{summary['peak_memory_mb_by_stage'].get(name, 0):.0f}")
    console.print(stages)
    changes = summary["changes"]
    console.print(f"changes since {changes['previous'] or 'nothing (first build)'}: "
                  f"{changes['added']} entities added, {changes['removed']} removed, {changes['changed']} changed")
    console.print(f"{summary['violations']} violations, {summary['warnings']} warnings, "
                  f"{summary['rejections']} rejections ({summary['rejected_records']} whole records), "
                  f"{summary['notes']} notes, {summary['merged_models']} models merged across sources, "
                  f"{summary['evaluation_results']} evaluation results, {summary['conflicts']} value conflicts; "
                  f"peak memory {summary['peak_memory_mb']} MB")
    for line in summary.get("warning_lines", [])[:10]:
        console.print(f"  warning: {line}", markup=False, highlight=False)
    for rejection in result.rejections[:20]:
        console.print(f"  rejected: {rejection}", markup=False, highlight=False)
    console.print(f"reports in {result.generation.path}")


@click.group()
def snapshot() -> None:
    """Make the facts-only source copies that bmkg ships."""


@snapshot.command("epoch")
@click.argument("download", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def snapshot_epoch(download: Path, target: Path) -> None:
    """Copy an Epoch CSV DOWNLOAD to TARGET without its free-text columns."""
    from ingest.snapshot import facts_only

    try:
        rows, dropped = facts_only(download, target)
    except SourceError as error:
        click.echo(str(error), err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"wrote {target}: {rows} rows; dropped {len(dropped)} free-text columns: {', '.join(dropped)}")


def _folder_snapshot(make, download: Path, target: Path, snapshot_date: dt.datetime, upstream: str) -> None:
    try:
        manifest = make(download, target, snapshot_date.date(), upstream)
    except SourceError as error:
        click.echo(str(error), err=True)
        sys.exit(EXIT_FAILED)
    for name, facts in manifest["files"].items():
        if "rows" in facts:
            dropped = ", ".join(facts["dropped"]) or "nothing"
            click.echo(f"wrote {target / name}: {facts['rows']} rows; dropped {dropped}")
        else:
            click.echo(f"copied {target / name}")


_SNAPSHOT_DATE = click.option("--snapshot-date", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
                              help="The day the download was taken (written to snapshot.json).")


@snapshot.command("epoch-benchmarks")
@click.argument("download", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@_SNAPSHOT_DATE
@click.option("--upstream", default="Epoch AI, AI Benchmarking Hub (benchmark-stitching)", show_default=True,
              help="Where the download came from.")
def snapshot_epoch_benchmarks(download: Path, target: Path, snapshot_date: dt.datetime, upstream: str) -> None:
    """Copy Epoch's Benchmarking Hub folder DOWNLOAD to TARGET without its Notes columns."""
    from ingest.snapshot import benchmark_hub

    _folder_snapshot(benchmark_hub, download, target, snapshot_date, upstream)


@snapshot.command("helm")
@click.argument("download", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@_SNAPSHOT_DATE
@click.option("--upstream", required=True, help="The crfm-helm release the files come from, e.g. 'crfm-helm 0.5.16'.")
def snapshot_helm(download: Path, target: Path, snapshot_date: dt.datetime, upstream: str) -> None:
    """Copy HELM's model_metadata.yaml and model_deployments.yaml from DOWNLOAD to TARGET,
    without model descriptions and client specifications, with the licence file."""
    from ingest.snapshot import helm_registry

    _folder_snapshot(helm_registry, download, target, snapshot_date, upstream)
