"""Pool processes that end when the process that made them ends.

A build's pools (SHACL validation, dumps) run in processes that multiprocessing's
forkserver forks. If the build is killed (SIGKILL), nothing tells them: each
waits for its next task on a queue that it also holds open, so the wait never
ends; each keeps the forkserver alive, and the validation processes keep the
partial generation's files open. ``follow_parent``, run as a pool's
initializer, ends the process when its parent does; the forkserver and the
resource tracker then end by themselves once no process needs them.
"""

from __future__ import annotations

import multiprocessing
import os
import threading


def follow_parent() -> None:
    """End this process as soon as the process that started it has ended."""
    parent = multiprocessing.parent_process()
    if parent is None:  # not a multiprocessing child: nothing to follow
        return

    def watch() -> None:
        parent.join()  # waits on the parent's sentinel, which reads as ended when the parent is gone
        os._exit(1)

    threading.Thread(target=watch, name="bmkg-follow-parent", daemon=True).start()
