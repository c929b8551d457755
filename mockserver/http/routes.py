"""The whole HTTP surface, in one list."""

from __future__ import annotations

from aiohttp import web

from mockserver.http import admin, dashboard, dqe, openapi, operator
from mockserver.http.expect import with_expect_handler

# Each documented endpoint answers GET (query) and POST (form body), with or without the
# trailing slash the docs show (clients drop it often enough; a redirect would lose a POST).
DQE_ENDPOINTS = {
    "/ACCESS_TOKEN/": dqe.access_token,
    "/IDMOBILE/": dqe.idmobile,
    "/GET/": dqe.get_result,
}
CONSENT = "/operator/{operator}/consent/{session_id}"
ADMIN = admin.PREFIX

# Every route answers `Expect` itself (http/expect.py): 413 before inviting a body too large.
ROUTES = with_expect_handler(
    [
        *(
            route(path, handler)
            for documented, handler in DQE_ENDPOINTS.items()
            for path in (documented, documented.rstrip("/"))
            for route in (web.get, web.post)
        ),
        web.get(CONSENT, operator.consent_page),
        web.post(CONSENT, operator.consent),
        web.get(f"{ADMIN}/health", admin.health),
        web.get(f"{ADMIN}/scenarios", admin.list_scenarios),
        web.post(f"{ADMIN}/scenarios", admin.add_scenarios),
        web.put(f"{ADMIN}/scenarios", admin.replace_scenarios),
        web.delete(f"{ADMIN}/scenarios/{{scenario_id}}", admin.remove_scenario),
        web.post(f"{ADMIN}/reset", admin.reset),
        web.post(f"{ADMIN}/reload", admin.reload),
        web.get(f"{ADMIN}/journal", admin.read_journal),
        web.delete(f"{ADMIN}/journal", admin.clear_journal),
        web.get(f"{ADMIN}/sessions", admin.list_sessions),
        web.get(f"{ADMIN}/sessions/{{token}}", admin.session_timeline),
        web.get(f"{ADMIN}/sessions/{{token}}/scenario", admin.session_scenario),
        web.post(f"{ADMIN}/clock/advance", admin.advance_clock),
        web.get(f"{ADMIN}/report", admin.client_report),
        # The live dashboard, for people (mockserver/http/dashboard.py).
        web.get(f"{ADMIN}/ui", dashboard.dashboard),
        # The contract, for tools and people (mockserver/http/openapi.py).
        web.get("/openapi.json", openapi.openapi_json),
        web.get("/openapi.yaml", openapi.openapi_yaml),
        web.get("/docs", openapi.docs),
        web.get(f"{openapi.SCHEMAS_PREFIX}/{{path:.+}}", openapi.schema_file),
    ]
)
