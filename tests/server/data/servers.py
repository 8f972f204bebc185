"""Real SPARQL servers for the backend and publish tests: Oxigraph server and Virtuoso open source.

Test modules load this file by path (``--import-mode=importlib`` keeps them
from importing each other). Each server listens on 127.0.0.1 on free ports,
keeps its data in the given temporary directory, and is stopped by ``stop()``.
A missing binary raises ``Unavailable`` with a reason the tests skip with.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parent
_HUNDRED = " ".join(str(i) for i in range(100))
_THIRTY = " ".join(str(i) for i in range(30))


class Unavailable(Exception):
    """The server cannot be run here; the message says why."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    query_url: str
    update_url: str
    graph_store_url: str
    log: Path
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    auth: str = "basic"
    #: A query that this engine needs a few seconds for, no more (for timeout tests).
    slow_query: str = field(default="", repr=False)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _die_with_us() -> None:
    """In the child: ask Linux to stop the server if the test process dies without stopping it."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _ask(url: str, timeout: float = 2) -> bool:
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode({"query": "ASK {}"}).encode(),
        headers={"Accept": "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read()).get("boolean") is True
    except (OSError, ValueError):
        return False


def _wait(process: subprocess.Popen, url: str, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}: {log.read_text()[-2000:]}")
        if _ask(url):
            return
        time.sleep(0.2)
    process.kill()
    process.wait()
    raise RuntimeError(f"{url} did not answer within {seconds} s: {log.read_text()[-2000:]}")


def oxigraph_binary() -> str:
    found = Path(sys.executable).parent / "oxigraph"
    if found.exists():
        return str(found)
    which = shutil.which("oxigraph")
    if which is None:
        raise Unavailable("the oxigraph server binary is not installed (pip install '.[test]' provides it)")
    return which


def start_oxigraph(directory: Path) -> Server:
    """``oxigraph serve`` with an on-disk store in ``directory``."""
    binary = oxigraph_binary()
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = directory / "oxigraph.log"
    with log.open("wb") as out:
        command = [binary, "serve", "--location", str(directory / "db"), "--bind", f"127.0.0.1:{port}"]
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   preexec_fn=_die_with_us)
    base = f"http://127.0.0.1:{port}"
    _wait(process, f"{base}/query", log, 30)
    slow = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(
        f"VALUES ?v{i} {{ {_HUNDRED} }}" for i in range(3)) + f" VALUES ?w {{ {_THIRTY} }} }}"  # 3e7 rows: ~3 s
    return Server("oxigraph", process, f"{base}/query", f"{base}/update", f"{base}/store", log, slow_query=slow)


def start_virtuoso(directory: Path) -> Server:
    """``virtuoso-t`` in the foreground with a fresh database in ``directory``.

    The configuration is ``virtuoso.ini`` beside this file. bmkg publishes as
    the user ``bmkg``, created here with the SPARQL_UPDATE role, through the
    digest-authenticated endpoints ``/sparql-auth`` (SPARQL Update) and
    ``/sparql-graph-crud-auth`` (Graph Store Protocol); reads go to the
    anonymous ``/sparql``. The DBA password is changed from the default to a
    random one once the user exists.
    """
    binary = shutil.which("virtuoso-t")
    isql = shutil.which("isql-vt")
    if binary is None or isql is None:
        raise Unavailable("Virtuoso open source is not installed (virtuoso-t and isql-vt; "
                          "apt-get install virtuoso-opensource, as .ci/run does)")
    directory.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    config = directory / "virtuoso.ini"
    config.write_text((DATA / "virtuoso.ini").read_text().format(root=directory, http_port=http_port,
                                                                     sql_port=sql_port))
    log = directory / "virtuoso-stdout.log"
    with log.open("wb") as out:
        process = subprocess.Popen([binary, "+foreground", "+configfile", str(config)], cwd=directory,
                                   stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   preexec_fn=_die_with_us)
    base = f"http://127.0.0.1:{http_port}"
    try:
        _wait(process, f"{base}/sparql", log, 90)
        password = secrets.token_urlsafe(12)
        statements = (f"DB.DBA.USER_CREATE ('bmkg', '{password}'); GRANT SPARQL_UPDATE TO \"bmkg\"; "
                      f"SET PASSWORD \"dba\" \"{secrets.token_urlsafe(12)}\";")
        done = subprocess.run([isql, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={statements}"],
                              capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": str(directory)})
        if done.returncode != 0 or "Error" in done.stdout + done.stderr:
            raise RuntimeError(f"could not create Virtuoso's publishing user: {done.stdout}{done.stderr}")
    except BaseException:
        process.kill()
        process.wait()
        raise
    slow = "SELECT (COUNT(*) AS ?n) WHERE { " + " ".join(
        f"VALUES ?v{i} {{ {_HUNDRED} }}" for i in range(3)) + " VALUES ?w { 0 1 2 3 4 } }"
    # 5e6 rows: ~5 s in Virtuoso here (1e6 took 1.0 s, too close to the tests' 1 s limit)
    return Server("virtuoso", process, f"{base}/sparql", f"{base}/sparql-auth", f"{base}/sparql-graph-crud-auth",
                  log, user="bmkg", password=password, auth="digest", slow_query=slow)


STARTERS = {"oxigraph": start_oxigraph, "virtuoso": start_virtuoso}
