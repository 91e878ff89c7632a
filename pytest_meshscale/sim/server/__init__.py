"""The simulated cluster's Kubernetes API server (HTTPS on 127.0.0.1 only, bearer tokens).

Layout (each module small and import-light; the store imports kinds/selectors/validation/events/owners/
storetypes from here without pulling in the HTTP code):

- kinds.py        the served kinds (group, versions, plural, scope, status/scale subresources, CRD or not)
- storetypes.py   ApiError (-> Kubernetes Status), StoreWatch, clone; events.py, owners.py: store internals
- selectors.py    label/field selector strings and LabelSelector objects; validation.py: names and labels
- http.py         ApiServer: threaded HTTP/1.1 + TLS listener; tls.py: per-run CA; kubeconfig.py
- api.py          Api.handle: auth, RBAC (rbac.py), api-errors fault, metrics (metrics.py), dispatch
- routing.py      URL path -> Target; discovery.py, openapi.py: /api, /apis, /openapi/v3
- resources.py    CRUD, list, patch (patch.py), status and scale subresources; tables.py: kubectl Tables
- watch.py        watch streams; pods.py: pod log/proxy and metrics.k8s.io via the PodRuntime
- protobuf.py     the few protobuf bodies kubectl's typed clients send; messages.py: Request/Response
- bootstrap.py    system namespaces and the mesh CRD objects every sim starts with
"""
