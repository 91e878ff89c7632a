"""pytest-xdist scheduling by mesh: every test of one mesh runs on one worker, cross-mesh checks run last.

A mesh's tests share its fleet and apply policies to it one at a time, so two workers must never test the
same mesh at once; and a `meshscale_last` test (the parity check) reads what every mesh's tests recorded,
so it may only start when all other tests are done.

xdist's own `--dist=loadgroup` cannot do this here: it smuggles the group to the controller as an
`@group` suffix written into `item._nodeid`, which pytest >= 9.2 no longer reads (pytest-xdist issue
#1386), so groups are silently dropped. Instead each worker writes {nodeid: group} to a file the
controller named in `workerinput`, before it reports its collection; the controller's scheduler reads it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

__all__ = ["LAST_GROUP", "MeshScheduling", "item_group", "write_groups"]

LAST_GROUP = "meshscale-last"


def item_group(item: pytest.Item) -> str | None:
    """The work unit a test belongs to: its mesh, the cross-mesh tail, or None (xdist's default)."""
    if item.get_closest_marker("meshscale_last") is not None:
        return LAST_GROUP
    callspec = getattr(item, "callspec", None)
    mesh = callspec.params.get("mesh_name") if callspec is not None else None
    return f"mesh-{mesh}" if mesh else None


def write_groups(path: Path, items: Iterable[pytest.Item]) -> None:
    groups = {item.nodeid: group for item in items if (group := item_group(item)) is not None}
    tmp = path.with_name(f"{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(groups))
    tmp.replace(path)  # atomic: the controller never reads a half-written file


class MeshScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """LoadScopeScheduling whose scopes are the groups the workers wrote, with the tail held back."""

    def __init__(self, config: pytest.Config, groups_file: Path, log: Any = None) -> None:
        super().__init__(config, log)
        self._groups_file = groups_file
        self._groups: dict[str, str] | None = None

    def _split_scope(self, nodeid: str) -> str:
        if self._groups is None:  # first called once every worker has reported its collection
            self._groups = json.loads(self._groups_file.read_text()) if self._groups_file.exists() else {}
        return self._groups.get(nodeid) or super()._split_scope(nodeid)

    def mark_test_complete(self, node: Any, item_index: int, duration: float = 0) -> None:
        super().mark_test_complete(node, item_index, duration)
        self._release_tail()

    def _assign_work_unit(self, node: Any) -> None:
        if next(iter(self.workqueue)) == LAST_GROUP:
            self._release_tail()
        else:
            super()._assign_work_unit(node)

    def _release_tail(self) -> None:
        """Give the tail to one worker once every other worker has finished all it was given.

        An xdist worker holds back its last test until it gets more work or is told to shut down (it
        must know the next test to tear fixtures down right), so "finished" never comes by itself:
        workers that only hold their last test are shut down to flush it, and the busiest worker keeps
        going and gets the tail after its own tests, which run in order before it.
        """
        if not self.workqueue or next(iter(self.workqueue)) != LAST_GROUP:
            return
        live = [n for n in self.assigned_work if not n.shutting_down]
        if not live:
            return
        keeper = max(live, key=lambda n: self._pending_of(self.assigned_work[n]))
        others = [n for n in self.assigned_work if n is not keeper]
        if all(self._pending_of(self.assigned_work[n]) == 0 for n in others):
            super()._assign_work_unit(keeper)
            return
        for other in others:
            if not other.shutting_down and self._pending_of(self.assigned_work[other]) <= 1:
                other.shutdown()
