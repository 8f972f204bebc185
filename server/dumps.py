"""``/dumps``: the current generation's dump files, listed from its ``dumps/index.json`` and served.

Only files named in the index are served, looked up by exact name, so no
request path can reach anything else in the store directory.
"""

from __future__ import annotations

import base64
from pathlib import Path

from flask import Blueprint, Response, g, jsonify, request, send_file, url_for

from server import negotiation, responses, web
from server.linkeddata import dump_index
from server.negotiation import HTML, Format
from server.runtime import get_runtime

bp = Blueprint("dumps", __name__)

JSON = Format("json", "application/json", (), ("json",))


@bp.route("/dumps", methods=["GET"])
def listing() -> Response:
    g.bmkg_endpoint = "dumps"
    generation = get_runtime().generation()
    files = dump_index(generation)
    fmt = (negotiation.by_name(request.args.getlist("format"), (HTML, JSON))
           or negotiation.negotiate(request.headers.get("Accept"), (HTML, JSON)))
    for entry in files:
        entry["url"] = url_for("dumps.dump_file", name=entry["file"])
    if fmt.key == "json":
        response = jsonify({"generation": generation.id, "files": files})
    else:
        response = web.page("dumps.html", files=files, generation=generation.id)
    responses.add_vary(response, "Accept")
    return response


@bp.route("/dumps/<name>", methods=["GET"])
def dump_file(name: str) -> Response:
    g.bmkg_endpoint = "dumps"
    generation = get_runtime().generation()
    entry = next((e for e in dump_index(generation) if e["file"] == name), None)
    folder = Path(generation.path) / "dumps"
    if entry is None or "/" in name or name.startswith(".") or not (folder / name).is_file():
        names = ", ".join(e["file"] for e in dump_index(generation)) or "none"
        return responses.text(404, f"404 Not Found: no dump {name!r} in generation {generation.id}; files: {names}")
    gzip = entry.get("encoding") == "gzip"
    response = send_file(folder / name, mimetype="application/gzip" if gzip else entry.get("media_type"),
                         as_attachment=True, download_name=name, conditional=True,
                         etag=entry.get("sha256") or True)
    sha = entry.get("sha256")
    if isinstance(sha, str):
        try:
            digest = base64.b64encode(bytes.fromhex(sha)).decode()
            response.headers["Repr-Digest"] = f"sha-256=:{digest}:"
        except ValueError:
            pass
    response.headers["Cache-Control"] = "public, no-cache"
    return response
