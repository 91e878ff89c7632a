"""The fortio server image (`fortio/fortio server`): REST runs, saved results, and fetch (one request
made from this pod through the data plane).

Fetch contract (GET|POST /fortio/fetch/HOST[:PORT]/PATH, or /fortio/fetch2/?url=http://HOST:PORT/PATH):
- allowed: the destination's own answer (the load service: 200 + 10 KiB);
- L7 deny: the proxy's answer as is (403 `Access denied` from Cilium's Envoy, 403 `RBAC: access denied`
  from a waypoint; 503 from a waypoint whose upstream was reset);
- connection failure: real fortio writes nothing and closes; the sim answers 502 with header
  `X-Fortio-Fetch-Error: timeout|reset|refused|dns` and the Go error text in the body.
Every fetch answer carries `X-Meshscale-Decided-By` (the component that decided). The request method is
the proxied request's method (a sim convenience; real fortio's fetch always sends GET, POST with fetch2's
payload).
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..dataplane import Outcome
from ..runtime import ProxyResult
from .base import ImageHandler, pod_name, text
from .fortio_json import FORTIO_VERSION
from .fortio_params import RunParamsError, parse_run
from .fortio_runs import FortioRuns

__all__ = ["FortioServer"]

Obj = dict[str, Any]
GO_ERRORS = {
    "timeout": "dial tcp {ip}:{port}: i/o timeout",
    "reset": "read tcp {src}:43210->{ip}:{port}: read: connection reset by peer",
    "refused": "dial tcp {ip}:{port}: connect: connection refused",
}


def _json(status: int, data: Any) -> ProxyResult:
    return ProxyResult(status, json.dumps(data).encode(), {"Content-Type": "application/json"})


class FortioServer(ImageHandler):
    ports = (8080, 8079, 8078)

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        self.runs = FortioRuns(env)

    def proxy(self, pod: Obj, port: int, method: str, path: str, query: str, body: bytes) -> ProxyResult:
        self.env.logs.add(pod, f"I http_logging.go> {method} {path}{'?' + query if query else ''}")
        if path.startswith("/fortio/fetch/"):
            rest = path[len("/fortio/fetch/") :] + (f"?{query}" if query else "")
            return self.fetch(pod, "http://" + rest, method, body)
        if path.startswith("/fortio/fetch2"):
            url = (parse_qs(query).get("url") or [""])[0]
            return self.fetch(pod, url, method, body)
        routes = {"/fortio/rest/run": self._run, "/fortio/rest/status": self._status, "/fortio/rest/stop": self._stop}
        if path.rstrip("/") in routes:
            return routes[path.rstrip("/")](pod, query, body)
        if path.startswith("/fortio/data/") and path.endswith(".json"):
            data = self.runs.saved(pod, path[len("/fortio/data/") : -len(".json")])
            return ProxyResult(200, data, {"Content-Type": "application/json"}) if data else text(404, "")
        return self.serve(pod, port, method, path, body)

    def serve(self, pod: Obj, port: int, method: str, path: str, body: bytes) -> ProxyResult:
        """fortio's echo server: any other path echoes the request body."""
        return ProxyResult(200, body, {"Content-Type": "application/octet-stream"})

    def logs(self, pod: Obj) -> str:
        banner = (
            f"Fortio {FORTIO_VERSION} (simulated image) echo server listening on tcp [::]:8080\n"
            "UI started - visit: http://localhost:8080/fortio/\n"
        )
        return banner + super().logs(pod)

    # ---- fetch ----------------------------------------------------------------------------------
    def fetch(self, pod: Obj, url: str, method: str, body: bytes) -> ProxyResult:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or 80
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        outcome = self.env.dataplane.decide(pod, host, port, method.upper(), parts.path or "/")
        decided = {"X-Meshscale-Decided-By": outcome.by}
        if outcome.allowed:
            return self._deliver(pod, outcome, port, method, path, body, decided)
        if outcome.status is not None:
            return text(outcome.status, outcome.body, **decided)
        return self._failed(pod, outcome, host, port, decided)

    def _deliver(
        self, pod: Obj, outcome: Outcome, port: int, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> ProxyResult:
        dst = outcome.dst_pod
        handler = self.env.handler_for(dst) if dst is not None else None
        self.env.traffic.record(pod_name(pod), pod_name(dst) if dst else ("", ""), port, 1)
        answer = handler.serve(dst, port, method, path, body) if handler else text(200, "")
        return ProxyResult(answer.status, answer.body, {**answer.headers, **headers})

    def _failed(self, pod: Obj, outcome: Outcome, host: str, port: int, headers: dict[str, str]) -> ProxyResult:
        dst = outcome.dst_pod or {}
        ip = (dst.get("status") or {}).get("podIP") or host
        src = (pod.get("status") or {}).get("podIP", "")
        how = outcome.how if outcome.by != "dns" else "dns"
        err = GO_ERRORS.get(how, "lookup {host}: no such host").format(ip=ip, port=port, src=src, host=host)
        self.env.logs.add(pod, f"E http_client.go> Unable to connect to {host}:{port} : {err}")
        msg = f"fortio fetch failed: {err} (simulated: {outcome.reason})\n"
        return text(502, msg, **headers, **{"X-Fortio-Fetch-Error": how})

    # ---- REST -------------------------------------------------------------------------------------
    def _run(self, pod: Obj, query: str, body: bytes) -> ProxyResult:
        try:
            params = parse_run(query, body)
        except RunParamsError as exc:
            return _json(400, {"error": True, "message": str(exc)})
        run = self.runs.new(pod, params)
        if not params.asynchronous:
            return ProxyResult(200, self.runs.execute(run), {"Content-Type": "application/json"})
        threading.Thread(
            target=self.runs.execute, args=(run,), daemon=True, name=f"fortio-{'/'.join(pod_name(pod))}-{run.run_id}"
        ).start()
        ip = (pod.get("status") or {}).get("podIP", "")
        return _json(
            200,
            {
                "message": "started",
                "RunID": run.run_id,
                "Count": 1,
                "ResultID": run.result_id,
                "ResultURL": f"http://{ip}:8080/fortio/data/{run.result_id}.json",
            },
        )

    def _status(self, pod: Obj, query: str, body: bytes) -> ProxyResult:
        runs = {
            str(r.run_id): {"RunID": r.run_id, "URL": r.params.url, "State": "running", "ResultID": r.result_id}
            for r in self.runs.running(pod)
        }
        return _json(200, {"message": "ok", "Count": len(runs), "Runs": runs})

    def _stop(self, pod: Obj, query: str, body: bytes) -> ProxyResult:
        raw = (parse_qs(query).get("runid") or ["0"])[0]
        run_id = int(raw) if raw.lstrip("-").isdigit() else 0
        return _json(200, {"message": "stopped", "RunID": run_id, "Count": self.runs.stop(pod, run_id)})
