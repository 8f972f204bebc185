"""SHACL validation of bmkg data against ``shapes.ttl``, with pySHACL.

The gate adds one thing SHACL Core lacks: property shapes marked
``bm:notAfterBuildDate true`` get ``sh:maxInclusive`` set to the build day, so
"no dates in the future" is checked without slow SPARQL-based constraints.
pySHACL cannot order ``xsd:gYear`` literals, so a year shape gets an
``sh:pattern`` that admits exactly the years up to the build year.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
import multiprocessing
import re
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import pyshacl
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from ontology import paths
from ontology.terms import BM

log = logging.getLogger(__name__)

SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class Finding:
    """One SHACL validation result, in terms a person can act on."""

    severity: str  # "Violation", "Warning" or "Info"
    focus: Node
    path: Node | None
    value: Node | None
    component: str  # local name, such as "MinExclusiveConstraintComponent"
    message: str
    shape: Node | None

    def describe(self) -> str:
        """One line for people: IRIs and blank nodes as in Turtle, literals as their text (never Python reprs).

        >>> Finding("Warning", URIRef("https://w3id.org/bmkg/id/model/x"), URIRef("https://w3id.org/bmkg/ontology#developedBy"),
        ...         URIRef("https://w3id.org/bmkg/id/org/y"), "ClassConstraintComponent", "not an Organization", None).describe()
        'Warning: https://w3id.org/bmkg/id/model/x; property https://w3id.org/bmkg/ontology#developedBy; value <https://w3id.org/bmkg/id/org/y>; (ClassConstraintComponent) not an Organization'
        """
        parts = [f"{self.severity}: {_show(self.focus)}"]
        if self.path is not None:
            parts.append(f"property {_show(self.path)}")
        if self.value is not None:
            parts.append(f"value {self.value}" if isinstance(self.value, Literal) else f"value {self.value.n3()}")
        parts.append(f"({self.component}) {self.message}")
        return "; ".join(parts)


def _show(node) -> str:
    """An IRI as its text, a blank node as ``_:id``."""
    return node.n3() if isinstance(node, BNode) else str(node)


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Violation"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != "Violation"]

    @property
    def conforms(self) -> bool:
        return not self.violations


# -- reading files to validate ---------------------------------------------------------------

#: File extensions and the syntax they hold; ``.gz`` may follow any of them. Anything else is read as Turtle.
SYNTAXES = {"ttl": "Turtle", "turtle": "Turtle", "nt": "N-Triples", "ntriples": "N-Triples", "nq": "N-Quads",
            "nquads": "N-Quads", "trig": "TriG", "rdf": "RDF/XML", "owl": "RDF/XML", "xml": "RDF/XML",
            "jsonld": "JSON-LD", "json": "JSON-LD", "n3": "N3"}
#: pyoxigraph's name for each syntax.
_RDF_FORMATS = {"Turtle": "TURTLE", "N-Triples": "N_TRIPLES", "N-Quads": "N_QUADS", "TriG": "TRIG",
                "RDF/XML": "RDF_XML", "JSON-LD": "JSON_LD", "N3": "N3"}
#: pyoxigraph's own statement of where, which ParseError says in its own way.
_WHERE = re.compile(r"^Parser error (?:at line \d+ between columns \d+ and \d+|between line \d+ column \d+ and"
                    r" line \d+ column \d+|at line \d+ column \d+): ")


class ParseError(ValueError):
    """A file that cannot be read as RDF: where and why.

    >>> str(ParseError("data.nq", "Unexpected end of file", 3, 9))
    'data.nq:3:9: Unexpected end of file'
    """

    def __init__(self, file, message: str, line: int | None = None, column: int | None = None):
        self.file, self.message, self.line, self.column = str(file), message, line, column
        where = self.file + (f":{line}" if line else "") + (f":{column}" if line and column else "")
        super().__init__(f"{where}: {message}")


def syntax_of(path) -> tuple[str, bool]:
    """The syntax a file's name announces, and whether it is gzip-compressed.

    >>> syntax_of("graphs.nq.gz"), syntax_of("slice.ttl"), syntax_of("notes.txt")
    (('N-Quads', True), ('Turtle', False), ('Turtle', False))
    """
    name = str(path).lower()
    gzipped = name.endswith(".gz")
    if gzipped:
        name = name[:-3]
    extension = name.rsplit(".", 1)[-1] if "." in name.rsplit("/", 1)[-1] else ""
    return SYNTAXES.get(extension, "Turtle"), gzipped


def read_graph(paths_) -> Graph:
    """The statements of RDF files, as one graph to validate.

    Datasets (N-Quads, TriG, and JSON-LD with named graphs) count as the union of
    their graphs, default graph included: every statement of every graph is
    validated, as a build validates the union of its graphs. Files are parsed
    strictly (pyoxigraph), ``.gz`` ones decompressed on the way; a blank node label
    means the same node within a file and a different one in another file.
    Raises ``ParseError`` naming the file, the line and column, and the error.
    """
    import gzip
    import zlib

    import pyoxigraph

    graph = Graph()
    for path in paths_:
        syntax, gzipped = syntax_of(path)
        try:
            data = gzip.decompress(path.read_bytes()) if gzipped else path.read_bytes()
        except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
            raise ParseError(path, f"cannot read{' as gzip' if gzipped else ''}: {error}") from None
        convert = _Converter(fresh=True)
        try:
            for quad in pyoxigraph.parse(data, format=getattr(pyoxigraph.RdfFormat, _RDF_FORMATS[syntax]),
                                         base_iri=path.resolve().as_uri()):
                graph.add((convert(quad.subject), convert(quad.predicate), convert(quad.object)))
        except SyntaxError as error:
            message = _WHERE.sub("", error.args[0] if error.args else str(error))
            raise ParseError(path, f"not valid {syntax}: {message}", error.lineno, error.offset) from None
        except (ValueError, OSError) as error:
            raise ParseError(path, f"not valid {syntax}: {error}") from None
    return graph


def shapes_graph(build_date: dt.date | None = None) -> Graph:
    """The shapes, with date maxima set to ``build_date`` (today by default)."""
    day = build_date or dt.date.today()
    shapes = Graph().parse(paths.SHAPES, format="turtle")
    for shape in list(shapes.subjects(BM.notAfterBuildDate, Literal(True))):
        datatype = shapes.value(shape, SH.datatype)
        if datatype == XSD.gYear:
            shapes.add((shape, SH.pattern, Literal(years_up_to(day.year))))
        elif datatype == XSD.date:
            shapes.add((shape, SH.maxInclusive, Literal(day.isoformat(), datatype=XSD.date)))
        else:
            raise ValueError(f"shape {shape} is marked bm:notAfterBuildDate but has datatype {datatype}")
    return shapes


def years_up_to(year: int) -> str:
    r"""A regular expression matching four-digit years from 0000 to ``year``.

    >>> years_up_to(2026)
    '^([0-1]\\d\\d\\d|20[0-1]\\d|202[0-5]|2026)$'
    >>> import re
    >>> [y for y in ("1999", "2025", "2026", "2027", "2100") if re.match(years_up_to(2026), y)]
    ['1999', '2025', '2026']
    """
    digits = f"{year:04d}"
    alternatives = []
    for position, digit in enumerate(digits):
        if digit != "0":
            rest = "\\d" * (3 - position)
            low = f"[0-{int(digit) - 1}]" if digit != "1" else "0"
            alternatives.append(digits[:position] + low + rest)
    alternatives.append(digits)
    return "^(" + "|".join(alternatives) + ")$"


def ontology_graph() -> Graph:
    return Graph().parse(paths.ONTOLOGY, format="turtle")


def validate(
    data: Graph,
    build_date: dt.date | None = None,
    shapes: Graph | None = None,
    ontology: Graph | None = None,
    jobs: int = 1,
    in_place: bool = False,
) -> Report:
    """Validate ``data`` against the shapes, with the ontology's class hierarchy.

    The ontology is added to a copy of the data here rather than through
    pySHACL's ``ont_graph``, which copies the data graph once more.
    ``data`` itself is never modified, unless ``in_place``: then the ontology is
    added to ``data`` for the run and removed after it, which saves the copy (about
    1 KB per triple) when the caller can lend its graph. With ``jobs`` > 1 the targeted shapes are
    split into groups of similar cost, validated in forked processes that share
    the graphs copy-on-write.
    """
    shapes = shapes if shapes is not None else shapes_graph(build_date)
    ontology = ontology if ontology is not None else ontology_graph()
    if not in_place:
        return _validate(data + ontology, shapes, jobs)
    lent = [triple for triple in ontology if triple not in data]
    for triple in lent:
        data.add(triple)
    try:
        return _validate(data, shapes, jobs)
    finally:
        for triple in lent:
            data.remove(triple)


def _validate(merged: Graph, shapes: Graph, jobs: int) -> Report:
    shapes, origin = targeted(shapes)
    groups = _shape_groups(shapes, merged, jobs)
    if len(groups) <= 1:
        return Report(_run(merged, shapes, None, origin))
    global _SHARED
    _SHARED = (merged, shapes, origin)
    context = multiprocessing.get_context("fork")
    children = []
    try:
        for group in groups[1:]:
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_child, args=(send, group), daemon=True)
            process.start()
            send.close()
            children.append((process, receive))
        findings = _run(merged, shapes, groups[0], origin)
        for process, receive in children:
            try:
                outcome = receive.recv()
            except EOFError:
                raise RuntimeError(f"a SHACL validation process died (exit code {process.exitcode})") from None
            if isinstance(outcome, BaseException):
                raise outcome
            findings += outcome
            process.join()
    finally:
        _SHARED = None
        for process, _receive in children:
            if process.is_alive():
                process.kill()
    return Report(findings)


_SHARED: tuple[Graph, Graph, dict] | None = None


def _child(send, group: list[Node]) -> None:
    try:
        send.send(_run(_SHARED[0], _SHARED[1], group, _SHARED[2]))
    except BaseException as error:  # report anything to the parent rather than die silently
        send.send(RuntimeError(f"SHACL validation failed: {error}"))
    finally:
        send.close()


def _run(data: Graph, shapes: Graph, group: list[Node] | None, origin: dict[Node, Node]) -> list[Finding]:
    _conforms, results, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        allow_warnings=True,
        advanced=False,
        meta_shacl=False,
        use_shapes=group,
    )
    return list(_findings(results, origin))


def _shape_groups(shapes: Graph, data: Graph, jobs: int) -> list[list[Node]]:
    """Shapes with targets in ``jobs`` groups of similar estimated cost (focus nodes x property shapes)."""
    roots = sorted({s for p in TARGETS for s in shapes.subjects(p, None)})
    if jobs <= 1:
        return [roots]
    subclasses: dict[Node, set[Node]] = {}
    for child, parent in data.subject_objects(RDFS.subClassOf):
        subclasses.setdefault(parent, set()).add(child)

    def members(cls: Node) -> int:
        seen, todo, total = set(), [cls], 0
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            total += sum(1 for _ in data.subjects(RDF.type, current))
            todo.extend(subclasses.get(current, ()))
        return total

    costs = []
    for shape in roots:
        focus = sum(members(c) for c in shapes.objects(shape, SH.targetClass))
        focus += len(list(shapes.objects(shape, SH.targetNode)))
        costs.append((focus * (1 + len(list(shapes.objects(shape, SH.property)))), shape))
    groups: list[list[Node]] = [[] for _ in range(jobs)]
    loads = [0] * jobs
    for cost, shape in sorted(costs, key=lambda c: (-c[0], str(c[1]))):
        lightest = loads.index(min(loads))
        groups[lightest].append(shape)
        loads[lightest] += cost
    # pySHACL's use_shapes skips a named property shape that is not listed, even when
    # a listed node shape points to it; it has no target, so listing it adds no work.
    for group in groups:
        group += sorted({p for shape in group for p in shapes.objects(shape, SH.property) if not isinstance(p, BNode)})
    return [g for g in groups if g]


TARGETS = (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf)
_CALLING = (SH.node, SH.qualifiedValueShape, SH["not"])
_CALLING_LISTS = (SH["and"], SH["or"], SH.xone)


def targeted(shapes: Graph) -> tuple[Graph, dict[Node, Node]]:
    """The same shapes, with each property shape of a targeted node shape given that node shape's targets.

    pySHACL validates a node shape's ``sh:property`` shapes once per focus node, and
    builds every constraint of the property shape again each time; most of the
    gate's time went there. A copy of the property shape that carries the node
    shape's targets itself is validated once over all focus nodes, with the same
    results: the same focus nodes, values, paths, messages and severities, and as
    many of them (a property shape shared by two node shapes gets one copy for each).
    Returns the shapes and, for each copy, the property shape it stands for, which
    findings name as their shape. Node shapes that other shapes call (``sh:node``,
    ``sh:or``, ...), closed ones and deactivated ones are left as they are.
    """
    called: set[Node] = set()
    for predicate in _CALLING:
        called |= set(shapes.objects(None, predicate))
    for predicate in _CALLING_LISTS:
        for head in shapes.objects(None, predicate):
            called |= set(shapes.items(head))
    out = Graph()
    out += shapes
    origin: dict[Node, Node] = {}
    for owner in sorted(set(shapes.subjects(SH.property, None)), key=str):
        targets = [(p, o) for p in TARGETS for o in shapes.objects(owner, p)]
        # A closed shape reads its allowed properties from its sh:property shapes.
        if (not targets or owner in called or shapes.value(owner, SH.deactivated) == Literal(True)
                or shapes.value(owner, SH.closed) == Literal(True)):
            continue
        for prop in sorted(shapes.objects(owner, SH.property), key=str):
            copy = URIRef(f"urn:bmkg:shape:{len(origin)}")
            origin[copy] = prop
            for p, o in shapes.predicate_objects(prop):
                out.add((copy, p, o))
            for p, o in targets:
                out.add((copy, p, o))
            out.remove((owner, SH.property, prop))
    return out, origin


def _findings(results: Graph, origin: dict[Node, Node]):
    for result in results.subjects(RDF.type, SH.ValidationResult):
        severity = results.value(result, SH.resultSeverity)
        component = results.value(result, SH.sourceConstraintComponent)
        shape = results.value(result, SH.sourceShape)
        yield Finding(
            severity=str(severity).rsplit("#", 1)[-1],
            focus=results.value(result, SH.focusNode),
            path=_path(results, result),
            value=results.value(result, SH.value),
            component=str(component).rsplit("#", 1)[-1],
            message=str(results.value(result, SH.resultMessage) or ""),
            shape=origin.get(shape, shape),
        )


def _path(results: Graph, result: Node) -> Node | None:
    path = results.value(result, SH.resultPath)
    return None if isinstance(path, BNode) else path


# -- validating a store in bounded memory -----------------------------------------------

BATCH_SUBJECTS = 2000  # subjects per batch: some ten thousand triples in memory; x1 has 7 to share out
_TYPE_NODE = None


def validate_store(path, build_date: dt.date | None = None, ontology: Graph | None = None, jobs: int = 1,
                   batch: int = BATCH_SUBJECTS, progress=None, stop=None, pool=None) -> Report:
    """Validate the default graph of the Oxigraph store at ``path`` (the asserted union), batch by batch.

    Every subject's statements are validated together, in one batch of subjects, with
    the rdf:type statements of the nodes they point to (for sh:class) and the ontology
    (for the class hierarchy). Findings about nodes outside the batch, which the batch
    holds only in part, are dropped: each node is judged in its own batch. The report
    is the same as validating the whole graph at once (tested), while memory holds one
    batch at a time. With ``jobs`` > 1, batches are validated in that many processes,
    each reading the store itself, or in ``pool`` (from ``worker_pool``, started early
    by the caller, who also shuts it down). ``progress`` hears the number of subjects
    validated so far. Once ``stop`` (a threading.Event) is set, no further batch starts
    and the report is partial.
    """
    import pyoxigraph

    findings: list[Finding] = []
    done = 0

    def collect(part: list[Finding], size: int) -> None:
        nonlocal done
        findings.extend(part)
        done += size
        if progress is not None:
            progress(done)

    # Subjects stream from the store a batch at a time; the report is sorted at the end, so the
    # order in which they come does not matter.
    store = pyoxigraph.Store.read_only(str(path))
    batches = _subject_batches(store, batch)
    if stop is not None:
        batches = itertools.takewhile(lambda _keys: not stop.is_set(), batches)
    try:
        if jobs <= 1 and pool is None:
            _worker_start(str(path), build_date, _ontology_text(ontology))
            try:
                for keys in batches:
                    collect(_worker_batch(keys), len(keys))
            finally:
                _WORKER.clear()  # closes the store: nothing may hold it open once the build writes again
            return Report(sorted(findings, key=_order))
        with contextlib.ExitStack() as owned:
            if pool is None:
                pool = owned.enter_context(worker_pool(path, build_date, ontology, jobs))
            # a few batches in flight per process, never all of them: memory stays one window
            window = 2 * max(jobs, 1)
            pending: deque = deque()
            for keys in batches:
                pending.append((len(keys), pool.submit(_worker_batch, keys)))
                if len(pending) >= window:
                    size, future = pending.popleft()
                    collect(future.result(), size)
            while pending:
                size, future = pending.popleft()
                collect(future.result(), size)
        return Report(sorted(findings, key=_order))
    finally:
        del batches, store


def worker_pool(path, build_date: dt.date | None, ontology: Graph | None, jobs: int) -> ProcessPoolExecutor:
    """``jobs`` processes that validate batches of the store at ``path``, started now.

    The store need not exist yet: each process opens it at its first batch. Each parses
    the shapes and the ontology itself (rdflib graphs do not pickle; ``ontology`` None:
    the ontology file), so a pool started while the store is still being written is
    ready when it is done. The blank-node labels of the ontology's copy do not matter:
    only its types and class hierarchy are read.
    """
    context = multiprocessing.get_context("forkserver")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_worker_start,
                               initargs=(str(path), build_date, _ontology_text(ontology)))
    for _ in range(jobs):  # each submission starts one more process, up to ``jobs``
        pool.submit(int)
    return pool


def _ontology_text(ontology: Graph | None) -> str | None:
    """The ontology for the gate's processes as N-Triples; None: each parses the ontology file."""
    return None if ontology is None else ontology.serialize(format="nt")


def canonical_ontology() -> list[tuple[Node, Node, Node]]:
    """The ontology's statements with canonical blank-node labels, the same in every build (rdflib's
    RGDA1, about 0.3 s at x1, which the build has a gate process do while it reads). A list, as
    rdflib graphs do not pickle."""
    from rdflib.compare import to_canonical_graph

    return list(to_canonical_graph(ontology_graph()))


def _subject_batches(store, size: int):
    """Every subject of the store's default graph, as lists of ``size`` picklable keys."""
    keys: list[tuple[bool, str]] = []
    previous = None
    # REDUCED drops repeats next to each other, and the store's index gives a subject's statements
    # together, so no set of every subject is held (DISTINCT kept one: ~80 bytes a subject).
    for row in store.query("SELECT REDUCED ?s WHERE { ?s ?p ?o }"):
        key = _key(row["s"])
        if key == previous:
            continue
        previous = key
        keys.append(key)
        if len(keys) >= size:
            yield keys
            keys = []
    if keys:
        yield keys


def _order(finding: Finding):
    return (str(finding.focus), str(finding.path), str(finding.shape), str(finding.value), finding.message)


def _key(term) -> tuple[bool, str]:
    """A subject as plain, picklable data: whether it is a blank node, and its id or IRI."""
    return (term.__class__.__name__ == "BlankNode", term.value)


_WORKER: dict = {}


def _worker_start(path: str, build_date: dt.date | None, ontology_text: str | None) -> None:
    import pyoxigraph

    from ontology.lifeline import follow_parent

    follow_parent()  # a killed build leaves no validation process behind

    shapes, origin = targeted(shapes_graph(build_date))
    shapes, markers = _marked_targets(shapes)
    _WORKER.update(path=path, store=None, shapes=shapes, origin=origin, markers=markers,
                   ontology=ontology_graph() if ontology_text is None else Graph().parse(data=ontology_text,
                                                                                         format="nt"),
                   rdf_type=pyoxigraph.NamedNode(str(RDF.type)), default=pyoxigraph.DefaultGraph(),
                   named=pyoxigraph.NamedNode, blank=pyoxigraph.BlankNode)


def _worker_batch(keys: list[tuple[bool, str]]) -> list[Finding]:
    if _WORKER["store"] is None:  # opened at the first batch: the pool may start before the store is written
        import pyoxigraph

        _WORKER["store"] = pyoxigraph.Store.read_only(_WORKER["path"])
    store, rdf_type, default = _WORKER["store"], _WORKER["rdf_type"], _WORKER["default"]
    graph = Graph()
    graph += _WORKER["ontology"]
    add, convert = graph.add, _Converter()
    focus: set[Node] = set()
    typed: set = set()
    for is_blank, value in keys:
        subject = _WORKER["blank"](value) if is_blank else _WORKER["named"](value)
        focus.add(convert(subject))
        for quad in store.quads_for_pattern(subject, None, None, default):
            add((convert(quad.subject), convert(quad.predicate), convert(quad.object)))
            target = quad.object
            if target.__class__.__name__ in ("NamedNode", "BlankNode") and target not in typed:
                typed.add(target)
                for kind in store.quads_for_pattern(target, rdf_type, None, default):
                    add((convert(kind.subject), convert(kind.predicate), convert(kind.object)))
    _mark_focus(graph, focus, _WORKER["markers"])
    findings = _run(graph, _WORKER["shapes"], None, _WORKER["origin"])
    return [f for f in findings if f.focus in focus]


def _marked_targets(shapes: Graph) -> tuple[Graph, dict[Node, URIRef]]:
    """The shapes with each ``sh:targetClass C`` replaced by ``sh:targetSubjectsOf`` a marker property of C.

    A batch holds the rdf:type statements of the nodes its subjects point to, for
    sh:class; with class targets those nodes became focus nodes too, and nearly all of a
    batch's findings (3,707 of 3,723 in one x1 batch) were about them, only to be dropped.
    The batch marks the instances of C among its own subjects instead (``_mark_focus``);
    no shape reads the markers, as no shape is closed (checked here).
    """
    if any(shapes.triples((None, SH.closed, Literal(True)))):
        return shapes, {}  # a closed shape would see the markers as properties it does not allow
    out = Graph()
    out += shapes
    markers: dict[Node, URIRef] = {}
    for shape, cls in list(shapes.subject_objects(SH.targetClass)):
        marker = markers.setdefault(cls, URIRef(f"urn:bmkg:focus:{len(markers)}"))
        out.remove((shape, SH.targetClass, cls))
        out.add((shape, SH.targetSubjectsOf, marker))
    return out, markers


def _mark_focus(graph: Graph, focus: set[Node], markers: dict[Node, URIRef]) -> None:
    """Mark each batch subject that is a SHACL instance of a marked class (its type, or a subclass of it)."""
    for cls, marker in markers.items():
        members = set(graph.subjects(RDF.type, cls))
        for subclass in graph.transitive_subjects(RDFS.subClassOf, cls):
            members.update(graph.subjects(RDF.type, subclass))
        for member in members & focus:
            graph.add((member, marker, cls))


class _Converter:
    """pyoxigraph terms as rdflib terms, IRIs remembered (the same few recur all the time)."""

    def __init__(self, fresh: bool = False):
        self.iris: dict[str, URIRef] = {}
        # ``fresh``: each blank node label gets a new node, so that ``_:b0`` in two files are two nodes
        # (pyoxigraph keeps a document's labels, and a store's are already unique).
        self.blanks: dict[str, BNode] | None = {} if fresh else None

    def __call__(self, term):
        name = term.__class__.__name__
        if name == "NamedNode":
            found = self.iris.get(term.value)
            if found is None:
                found = self.iris[term.value] = URIRef(term.value)
            return found
        if name == "BlankNode":
            if self.blanks is None:
                return BNode(term.value)
            found = self.blanks.get(term.value)
            if found is None:
                found = self.blanks[term.value] = BNode()
            return found
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:  # RDF 1.1: a simple literal is an xsd:string
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))


_XSD_STRING = str(XSD.string)
