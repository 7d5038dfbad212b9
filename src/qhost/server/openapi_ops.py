"""What the OpenAPI document says about each route: summary, tag, parameters, body and responses.

``qhost.server.openapi`` walks the app's URL map (so the document never misses a route) and looks up each
``(METHOD, path-without-door-prefix)`` here. Schemas are deliberately loose where the server itself is
(Qrisp's ``deploymentId`` may be a string or a number); they document what a client must send.
"""

from __future__ import annotations

from typing import Any

__all__ = ["IBM_OPERATIONS", "IBM_PREFIXES", "OPERATIONS", "SCHEMAS", "TAGS"]

IBM_PREFIXES = ("/api/v1", "/experimental/api/v1")
"""Mount points of the IBM Runtime door (the same routes under both)."""

TAGS = [
    {"name": "meta", "description": "Server status."},
    {"name": "qrisp", "description": "Qrisp 0.4 - 0.8.2 BackendClient wire (Qunicorn dialect)."},
    {"name": "ibm-runtime", "description": "IBM Qiskit Runtime REST API, as the stock client uses it."},
    {"name": "ibm-cloud", "description": "IBM Cloud IAM / Global Search / Global Catalog stand-ins."},
]

_OBJ: dict[str, Any] = {"type": "object", "additionalProperties": True}
_STR = {"type": "string"}
_INT = {"type": "integer"}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "description": "Every error is JSON. Qrisp door: {error, message}; IBM door: {errors: [...], ...}; "
        "IBM Cloud stand-ins: {errorCode, errorMessage}.",
        "additionalProperties": True,
    },
    "Status": {
        "type": "object",
        "properties": {
            "name": _STR,
            "version": _STR,
            "backends": {"type": "integer", "nullable": True},
            "queue_length": _INT,
            "doors": {"type": "object", "additionalProperties": {"type": "boolean"}},
            "auth": {"type": "boolean"},
        },
    },
    "QrispProgram": {
        "type": "object",
        "required": ["quantumCircuit"],
        "properties": {
            "quantumCircuit": {"type": "string", "description": "OpenQASM 2 text"},
            "assemblerLanguage": {"type": "string", "example": "QASM2"},
            "pythonFilePath": _STR,
            "pythonFileMetadata": _STR,
        },
    },
    "QrispDeployment": {
        "type": "object",
        "required": ["programs"],
        "properties": {
            "programs": {
                "type": "array",
                "minItems": 1,
                "maxItems": 1000,
                "description": "one job of N circuits per job submitted on it",
                "items": {"$ref": "#/components/schemas/QrispProgram"},
            }
        },
    },
    "QrispJob": {
        "type": "object",
        "properties": {
            "deploymentId": {"description": "id from POST /deployments", "oneOf": [_STR, _INT]},
            "programs": {
                "type": "array",
                "minItems": 1,
                "maxItems": 1000,
                "description": "inline programs (qhost extension): one job of N circuits",
                "items": {"$ref": "#/components/schemas/QrispProgram"},
            },
            "shots": {
                "description": "shots of each circuit, or (qhost extension) a list: one entry per program",
                "oneOf": [
                    {"type": "integer", "nullable": True, "minimum": 1},
                    {"type": "array", "items": {"type": "integer", "nullable": True, "minimum": 1}},
                ],
            },
            "token": _STR,
            "deviceName": {"type": "string", "description": "virtual backend, e.g. fake_manila@aer"},
        },
    },
    "IbmJob": {
        "type": "object",
        "required": ["program_id", "backend", "params"],
        "properties": {
            "program_id": {"type": "string", "enum": ["sampler", "estimator"]},
            "backend": {"type": "string", "example": "fake_manila@aer"},
            "params": {
                "type": "object",
                "required": ["pubs"],
                "properties": {
                    "pubs": {
                        "type": "array",
                        "items": {},
                        "description": "PUBs; a circuit is QPY (the stock client) or an OpenQASM 3/2 string",
                    },
                    "version": {"type": "integer", "enum": [2]},
                    "support_qiskit": {
                        "type": "boolean",
                        "description": "false: plain JSON results, for clients without Qiskit",
                    },
                },
            },
            "session_id": _STR,
            "tags": {"type": "array", "items": _STR},
        },
    },
    "IbmSession": {
        "type": "object",
        "required": ["backend"],
        "properties": {
            "backend": _STR,
            "mode": {"type": "string", "enum": ["dedicated", "batch"]},
            "max_ttl": _INT,
        },
    },
    "Tags": {
        "type": "object",
        "required": ["tags"],
        "properties": {"tags": {"type": "array", "items": _STR}},
    },
    "Accepting": {
        "type": "object",
        "required": ["accepting_jobs"],
        "properties": {"accepting_jobs": {"type": "boolean"}},
    },
}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _ok(code: str = "200", schema: dict[str, Any] | None = None) -> dict[str, Any]:
    if code == "204":
        return {code: {"description": "Done, no content."}}
    return {code: {"description": "OK", "content": {"application/json": {"schema": schema or _OBJ}}}}


def _query(name: str, schema: dict[str, Any], doc: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": doc}


_WAIT = _query("wait", {"type": "number", "minimum": 0}, "long-poll: seconds to wait for a final state")
_JOB_DOC = {**_ok("200"), **_ok("201")}

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/"): {
        "tags": ["meta"],
        "summary": "Server status (the image's health check)",
        "responses": _ok("200", _ref("Status")),
    },
    ("POST", "/deployments"): {
        "tags": ["qrisp"],
        "summary": "Deploy a QASM program (Qrisp step 1)",
        "requestBody": _json_body("QrispDeployment"),
        "responses": _ok("201"),
    },
    ("POST", "/jobs"): {
        "tags": ["qrisp"],
        "summary": "Run a deployment or inline programs (Qrisp step 2)",
        "parameters": [_WAIT],
        "requestBody": _json_body("QrispJob"),
        "responses": _JOB_DOC,
    },
    ("GET", "/jobs/{job_id}"): {
        "tags": ["qrisp"],
        "summary": "Job document; 201 while pending or completed "
        "(Qrisp's quirk), 200 with a message when failed",
        "parameters": [_WAIT],
        "responses": _JOB_DOC,
    },
    ("POST", "/jobs/{job_id}/cancel"): {
        "tags": ["qrisp"],
        "summary": "Cancel a job (qhost extension)",
        "responses": _JOB_DOC,
    },
    ("GET", "/qrisp/backend"): {
        "tags": ["qrisp"],
        "summary": "Metadata of the backend a job would run on (qhost extension): num_qubits, "
        "connectivity, gate_set, error_rates, max_circuits, queue, health, info",
        "parameters": [
            _query("deviceName", _STR, "virtual backend, e.g. fake_manila@aer; empty: the default")
        ],
        "responses": _ok("200"),
    },
    ("POST", "/identity/token"): {
        "tags": ["ibm-cloud"],
        "summary": "Swap an API key for an access token (IAM stand-in)",
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "required": ["apikey"], "properties": {"apikey": _STR}}
                }
            },
        },
        "responses": _ok(),
    },
    ("POST", "/global-search/v3/resources/search"): {
        "tags": ["ibm-cloud"],
        "summary": "The one instance",
        "responses": _ok(),
    },
    ("GET", "/global-catalog/{plan_id}"): {
        "tags": ["ibm-cloud"],
        "summary": "The instance's plan",
        "responses": _ok(),
    },
}
"""Qrisp door, status and IBM Cloud stand-ins, keyed by their full path."""

_LIST_JOBS = [
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "page size (default 10)"),
    _query("offset", {"type": "integer", "minimum": 0}, "first row"),
    _query("skip", {"type": "integer", "minimum": 0}, "alias of offset"),
    _query("pending", {"type": "boolean"}, "true: queued/running; false: final"),
    _query("backend", _STR, "only this backend"),
    _query("program", _STR, "only this program"),
    _query("session_id", _STR, "only this session"),
    _query("tags", _STR, "only jobs with this tag (repeatable)"),
    _query("created_after", {"type": "string", "format": "date-time"}, "ISO 8601"),
    _query("created_before", {"type": "string", "format": "date-time"}, "ISO 8601"),
    _query("sort", {"type": "string", "enum": ["ASC", "DESC"]}, "by creation time"),
    _query("exclude_params", {"type": "boolean"}, "leave params out of each job"),
]
_TEXT = {"200": {"description": "OK", "content": {"text/plain": {"schema": _STR}}}}

IBM_OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/backends"): {"summary": "Available virtual backends"},
    ("GET", "/backends/{name}/configuration"): {"summary": "Backend configuration JSON"},
    ("GET", "/backends/{name}/properties"): {
        "summary": "Backend properties JSON (T1/T2, errors); the calibration in force at updated_before",
        "parameters": [
            _query("updated_before", {"type": "string", "format": "date-time"}, "calibration in force then"),
            _query("calibration_id", _STR, "'latest' or the snapshot's last_update_date"),
        ],
    },
    ("GET", "/backends/{name}/status"): {"summary": "Backend status and queue length"},
    ("GET", "/backends/{name}/defaults"): {"summary": "Pulse defaults (404 when the device has none)"},
    ("GET", "/instances/usage"): {"summary": "Usage of the instance"},
    ("POST", "/jobs"): {
        "summary": "Submit a SamplerV2 / EstimatorV2 job",
        "requestBody": _json_body("IbmJob"),
    },
    ("GET", "/jobs"): {"summary": "List jobs", "parameters": _LIST_JOBS},
    ("GET", "/jobs/{job_id}"): {"summary": "One job", "parameters": [_LIST_JOBS[-1]]},
    ("GET", "/jobs/{job_id}/results"): {
        "summary": "Result JSON (text when failed or cancelled)",
        "responses": {**_ok(), **_TEXT},
    },
    ("POST", "/jobs/{job_id}/cancel"): {"summary": "Cancel a job", "responses": _ok("204")},
    ("DELETE", "/jobs/{job_id}"): {"summary": "Delete a job", "responses": _ok("204")},
    ("GET", "/jobs/{job_id}/metrics"): {"summary": "Timestamps and usage of a job"},
    ("GET", "/jobs/{job_id}/logs"): {
        "summary": "Log text of a job: progress, then error",
        "responses": _TEXT,
    },
    ("PUT", "/jobs/{job_id}/tags"): {
        "summary": "Replace a job's tags",
        "requestBody": _json_body("Tags"),
        "responses": _ok("204"),
    },
    ("POST", "/sessions"): {"summary": "Open a session or batch", "requestBody": _json_body("IbmSession")},
    ("GET", "/sessions/{session_id}"): {"summary": "One session"},
    ("PATCH", "/sessions/{session_id}"): {
        "summary": "Stop accepting jobs",
        "requestBody": _json_body("Accepting"),
        "responses": _ok("204"),
    },
    ("DELETE", "/sessions/{session_id}/close"): {
        "summary": "Close a session (cancels its queued jobs)",
        "responses": _ok("204"),
    },
}
"""IBM Runtime door, keyed by the path under its prefix."""
