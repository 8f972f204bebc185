"""``bmkg query`` and ``bmkg why``: named queries and explanations over a built store."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click
import pyoxigraph
from rich.console import Console
from rich.table import Table

from ontology import store
from queries import library

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2


def open_store(store_path: Path | None) -> pyoxigraph.Store:
    root = store.root_from_env(store_path)
    try:
        generation = store.current(root)
    except store.StoreError as error:
        click.echo(f"store {root}: {error}", err=True)
        sys.exit(EXIT_UNUSABLE)
    if generation is None:
        click.echo(f"store {root}: no graph has been built yet; run 'bmkg build' first", err=True)
        sys.exit(EXIT_UNUSABLE)
    return pyoxigraph.Store.read_only(str(generation.oxigraph))


def _params(_ctx, _param, values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, raw = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected NAME=VALUE, got {value!r}")
        pairs[key] = raw
    return pairs


def _rows(result) -> tuple[list[str], list[list[str]]]:
    names = [v.value for v in result.variables]
    rows = [[row[n].value if row[n] is not None else "" for n in names] for row in result]
    return names, rows


def print_rows(names: list[str], rows: list[list[str]], fmt: str) -> None:
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(rows)
    elif fmt == "json":
        click.echo(json.dumps([dict(zip(names, row)) for row in rows], indent=2, ensure_ascii=False))
    else:
        table = Table(*names, show_lines=False)
        for row in rows:
            table.add_row(*row)
        Console().print(table)
        click.echo(f"{len(rows)} rows")


@click.command()
@click.argument("name", required=False)
@click.option("--list", "list_queries", is_flag=True, help="List the query library and exit.")
@click.option("--param", "-p", "values", multiple=True, callback=_params, metavar="NAME=VALUE",
              help="A query parameter; repeat for several.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--asserted-only", is_flag=True, help="Leave out the inferred graph.")
@click.option("--store", "store_path", type=click.Path(file_okay=False, path_type=Path), default=None)
def query(name: str | None, list_queries: bool, values: dict[str, str], fmt: str, asserted_only: bool,
          store_path: Path | None) -> None:
    """Run a library query by NAME, a .rq FILE, or - for standard input."""
    if list_queries or name is None:
        queries = library.library()
        rows = [[q.name, q.title, ", ".join(f"{p.name}={p.default}" if p.default is not None else p.name
                                            for p in q.parameters), "yes" if q.uses_inference else "no"]
                for q in queries.values()]
        print_rows(["name", "title", "parameters", "inference"], rows, fmt)
        return
    try:
        if name == "-":
            named = library.NamedQuery("stdin", Path("-"), sys.stdin.read(), "standard input", "")
        elif name.endswith(".rq") or Path(name).is_file():
            named = library.parse(Path(name))
        else:
            queries = library.library()
            if name not in queries:
                raise library.QueryError(f"no library query {name!r}; known: {', '.join(queries)}")
            named = queries[name]
        oxigraph = open_store(store_path)
        result = library.run(oxigraph, named, values, asserted_only=asserted_only)
    except (library.QueryError, OSError) as error:
        click.echo(str(error), err=True)
        sys.exit(EXIT_FAILED)
    except SyntaxError as error:
        click.echo(f"SPARQL syntax error: {error}", err=True)
        sys.exit(EXIT_FAILED)
    if isinstance(result, bool):
        click.echo("true" if result else "false")
        return
    if not isinstance(result, pyoxigraph.QuerySolutions):
        sys.stdout.buffer.write(result.serialize(format=pyoxigraph.RdfFormat.TURTLE) or b"")
        return
    names, rows = _rows(result)
    print_rows(names, rows, fmt)
    if not rows and asserted_only:
        click.echo("no rows: --asserted-only left out the inferred statements; without it the query also sees "
                   "what the reasoner derived", err=True)


@click.command()
@click.argument("model")
@click.argument("topic")
@click.option("--store", "store_path", type=click.Path(file_okay=False, path_type=Path), default=None)
def why(model: str, topic: str, store_path: Path | None) -> None:
    """Explain why MODEL relates to TOPIC: the paths of statements that support it.

    MODEL and TOPIC may be IRIs, keys (gpt-3-175b-davinci, language-model) or labels.
    Exit 1 when nothing connects them.
    """
    oxigraph = open_store(store_path)
    explain = library.explanation("related-topic")
    try:
        result = library.run(oxigraph, explain, {"model": model, "topic": topic})
    except library.QueryError as error:
        click.echo(str(error), err=True)
        sys.exit(EXIT_FAILED)
    names, rows = _rows(result)
    if not rows:
        click.echo(f"nothing in the graph connects {model} to {topic}")
        sys.exit(EXIT_FAILED)
    bound = library.bind(explain, {"model": model, "topic": topic}, oxigraph)
    model_iri, topic_iri = (bound[n].value for n in ("model", "topic"))
    for row in (dict(zip(names, r)) for r in rows):
        if row["relation"] == "has topic":
            click.echo(f"{model_iri} --has topic--> {topic_iri}   [{_graph(row['topicGraph'])}]\n"
                       f"    rule: {row['rule']}")
        else:
            label = f" ({row['viaLabel']})" if row["viaLabel"] else ""
            click.echo(f"{model_iri} --{row['relation']}--> {row['via']}{label}   [{_graph(row['linkGraph'])}]\n"
                       f"    --implies topic--> {topic_iri}   [{_graph(row['topicGraph'])}]\n"
                       f"    rule: {row['rule']}")


def _graph(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]
