"""What a build leaves out or cannot link, reported without holding it all in memory.

Rejections (a record or field left out) and notes (a link that matches nothing)
are appended to JSON Lines files as they occur and counted per source. The
first ones are also kept in memory for the summary and the command line; the
files hold every one, and become the generation's JSON reports at the end.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from ingest.records import Rejection

KEEP = 50_000  # in memory: every finding of a normal build, a sample of a huge one


class Reporter:
    def __init__(self, directory: Path, keep: int = KEEP):
        directory.mkdir(parents=True, exist_ok=True)
        self._files = {"rejections": (directory / "rejections.jsonl").open("w", encoding="utf-8"),
                       "notes": (directory / "notes.jsonl").open("w", encoding="utf-8")}
        self.paths = {name: Path(handle.name) for name, handle in self._files.items()}
        self.keep = keep
        self.rejections: list[Rejection] = []
        self.notes: list = []
        self.counts: Counter = Counter()
        self.rejected_records: Counter = Counter()  # per source: whole records left out

    def reject(self, rejection: Rejection) -> None:
        self.counts["rejections"] += 1
        if rejection.whole_record:
            self.rejected_records[rejection.source] += 1
        if len(self.rejections) < self.keep:
            self.rejections.append(rejection)
        self._write("rejections", rejection.as_dict())

    def note(self, note) -> None:
        self.counts["notes"] += 1
        if len(self.notes) < self.keep:
            self.notes.append(note)
        self._write("notes", note.as_dict())

    def _write(self, name: str, item: dict) -> None:
        self._files[name].write(json.dumps(item, ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()

    def write_json(self, name: str, target: Path) -> None:
        """Turn one JSON Lines file into a JSON array at ``target``, a line at a time."""
        if not self._files[name].closed:
            self._files[name].flush()
        with self.paths[name].open(encoding="utf-8") as lines, target.open("w", encoding="utf-8") as out:
            out.write("[")
            for i, line in enumerate(lines):
                out.write(("," if i else "") + "\n  " + line.rstrip("\n"))
            out.write("\n]\n")
