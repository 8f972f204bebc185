"""What the figures were measured on: CPU, memory, versions, load."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

LIBRARIES = ("pyoxigraph", "oxigraph", "rdflib", "pyshacl", "reasonable", "flask", "granian", "pyyaml", "owlready2")
ROOT = Path(__file__).resolve().parent.parent


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _command_output(*command: str) -> str | None:
    if shutil.which(command[0]) is None and not Path(command[0]).exists():
        return None
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else None


def _git() -> dict:
    head = _command_output("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD")
    status = _command_output("git", "-C", str(ROOT), "status", "--porcelain")
    return {"commit": head, "dirty": bool(status)}


def info() -> dict:
    """A description of this machine and software, taken at the start of a run."""
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "hostname": platform.node(),
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "libraries": {name: _version(name) for name in LIBRARIES},
        "tools": {"wrk": _command_output("wrk", "--version")},
        "git": _git(),
        "load_average_start": load_average(),
    }
