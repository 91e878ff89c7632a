"""The shape every pod-owning controller (Deployment, DaemonSet, Job) shares: look the owner up,
find its pods, create/delete through the PodFactory, and write its status only when it changed."""

from __future__ import annotations

from ..store import ApiError
from .context import Context
from .objects import Obj, meta, owned_by
from .podfactory import PodFactory

__all__ = ["OwnerController"]


class OwnerController:
    resource = ""

    def __init__(self, ctx: Context) -> None:
        self.ctx, self.factory = ctx, PodFactory(ctx)

    def reconcile_key(self, key: tuple[str, ...]) -> None:
        owner = self.ctx.store.try_get(self.resource, key[1], key[2])
        if owner is not None:
            self.sync(owner)

    def sync(self, owner: Obj) -> None:
        raise NotImplementedError

    def pods(self, owner: Obj) -> list[Obj]:
        return owned_by(self.ctx.store.list("pods", meta(owner)["namespace"])[0], owner)

    def write_status(self, obj: Obj, status: Obj) -> None:
        """Write obj's status unless unchanged; a conflict re-queues the object for another look."""
        if obj.get("status") == status:
            return
        try:
            self.ctx.store.update(self.resource, {**obj, "status": status}, subresource="status")
        except ApiError as exc:
            if exc.code == 409:
                self.ctx.queue.add((self.resource, meta(obj).get("namespace", ""), meta(obj)["name"]))
