"""Hostile input: every bad request is a clear 4xx ``{code, message, field}`` and writes nothing.

"Nothing written" is checked by counting the rows of every table of the database before and
after each bad request (orders, lines, events, audit log, idempotency keys, routing, ...).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from microfactory.adapters.files.shopify import sign
from microfactory.bootstrap import Container
from microfactory.entrypoints.api.app import create_app
from microfactory.services import auth
from tests.conftest import EXAMPLE, NOW

TEE = {"brand": "spree", "lines": [{"product": "spree-tee", "options": {"size": "M", "colour": "black", "design": "bear"},
                                    "quantity": 1}], "customer": {"lat": 52.5, "lon": 13.4}}
CSV_HEAD = "order_id,brand,product,options,quantity,customer_lat,customer_lon,delivery,due,created\n"
CSV_ROW = "CSV-9,spree,spree-tote,design=wave,1,52.5,13.4,ship,2026-12-09,2026-12-02T10:00\n"


def row_counts(c: Container) -> dict[str, int]:
    """Rows in every table of the database (the Alembic version table aside)."""
    with c.engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
        return {n: int(conn.execute(text(f'SELECT COUNT(*) FROM "{n}"')).scalar_one()) for n in names}


@pytest.fixture
def client(loaded: Container) -> Iterator[TestClient]:
    with TestClient(create_app(loaded)) as tc:
        yield tc


def assert_refused(r: Any, status: int | tuple[int, ...], field: str | None = None, code: str | None = None) -> None:
    """A 4xx JSON error body naming a code, a message and (when given) the field."""
    statuses = (status,) if isinstance(status, int) else status
    assert r.status_code in statuses, (r.status_code, r.text[:300])
    body = r.json()
    assert isinstance(body["code"], str) and isinstance(body["message"], str) and body["message"]
    assert body["field"], body
    if field is not None:
        assert body["field"] == field, body
    if code is not None:
        assert body["code"] == code, body


def refusal_problems(cases: list[tuple[str, Any, int | tuple[int, ...], str | None, str | None]]) -> list[str]:
    """Every case whose response is not the expected refusal: (label, response, status, field, code)."""
    problems = []
    for label, r, status, field, code in cases:
        try:
            assert_refused(r, status, field, code)
        except (AssertionError, ValueError, KeyError) as exc:
            problems.append(f"{label}: {exc!r}"[:400])
    return problems


def post_json(client: TestClient, path: str, raw: str | bytes, **headers: str) -> Any:
    return client.post(path, content=raw, headers={"content-type": "application/json", **headers})


BAD_ORDERS = [  # (raw JSON body, field named in the error)
    (json.dumps({**TEE, "lines": [{**TEE["lines"][0], "quantity": "two"}]}), "lines[0].quantity"),
    (json.dumps({**TEE, "customer": {"lat": "north", "lon": 13.4}}), "customer.lat"),
    (json.dumps({**TEE, "lines": {"product": "spree-tee"}}), "lines"),
    (json.dumps([TEE]), "body"),
    (json.dumps({**TEE, "discount": 50}), "discount"),
    (json.dumps({**TEE, "lines": [{**TEE["lines"][0], "colour": "red"}]}), "lines[0].colour"),
    (json.dumps({**TEE, "customer": {"lat": 52.5, "lon": 13.4, "email": "a@b.c"}}), "customer.email"),
    (json.dumps({**TEE, "lines": [{**TEE["lines"][0], "quantity": 10**30}]}), "lines[0].quantity"),
    (json.dumps({**TEE, "customer": {"lat": 1e308, "lon": 13.4}}), "customer.lat"),
    (json.dumps({**TEE, "customer": {"lat": 52.5, "lon": 13.4}}).replace("52.5", "NaN"), "customer.lat"),
    (json.dumps({**TEE, "customer": {"lat": 52.5, "lon": 13.4}}).replace("13.4", "Infinity"), "customer.lon"),
    (json.dumps({**TEE, "customer": {"lat": 52.5, "lon": 13.4}}).replace("13.4", "-1e400"), "customer.lon"),
    (json.dumps({**TEE, "lines": [{**TEE["lines"][0], "quantity": 1.5}]}), "lines[0].quantity"),
    (json.dumps({**TEE, "due": "2026-02-30"}), "due"),
    (json.dumps({**TEE, "lines": []}), "lines"),
    (json.dumps({**TEE, "brand": "x" * 5000}), "brand"),
    (json.dumps({**TEE, "lines": [TEE["lines"][0]] * 201}), "lines"),
    (json.dumps({**TEE, "delivery": "pickup:../../etc/passwd"}), "delivery"),
    ('{"brand": "spree", "lines": [', "body"),
    ("", "body"),
    ("null", "body"),
    ('{"brand": "spree", "brand": ' + "9" * 5000 + "}", "body"),
]


def test_bad_order_bodies_are_refused_without_a_trace(client: TestClient, loaded: Container) -> None:
    """Wrong types, unknown fields, huge numbers, NaN/inf and broken JSON are 4xx naming the field; no row changes."""
    before = row_counts(loaded)
    cases = [(f"{raw[:80]!r}", post_json(client, "/v1/orders", raw, **{"Idempotency-Key": f"bad-{i}"}), (400, 422),
              field, None) for i, (raw, field) in enumerate(BAD_ORDERS)]
    problems = refusal_problems(cases)
    assert not problems, problems
    assert row_counts(loaded) == before


def test_non_utf8_body_is_refused(client: TestClient, loaded: Container) -> None:
    """Bytes that are not UTF-8 in a JSON body are a 4xx on the body and nothing is stored."""
    before = row_counts(loaded)
    assert_refused(post_json(client, "/v1/orders", b'{"brand": "\xff\xfe"}'), (400, 422), "body")
    assert row_counts(loaded) == before


def test_oversized_bodies_are_413_with_or_without_a_length(client: TestClient, loaded: Container) -> None:
    """A body over the limit is 413 whether it declares its length or streams in chunks; nothing is stored."""
    limit = loaded.settings.max_body_bytes
    before = row_counts(loaded)
    big = CSV_HEAD + CSV_ROW * (limit // len(CSV_ROW) + 10)
    declared = client.post("/v1/orders/import", content=big, headers={"content-type": "text/csv"})

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(big), 65536):
            yield big[i:i + 65536].encode()

    streamed = client.post("/v1/orders/import", content=chunks(), headers={"content-type": "text/csv"})
    json_streamed = client.post("/v1/orders", content=chunks(), headers={"content-type": "application/json"})
    bad_length = client.post("/v1/orders", content=b"{}", headers={"content-type": "application/json",
                                                                    "content-length": "abc"})
    for r in (declared, streamed, json_streamed):
        assert_refused(r, 413, "body", "payload_too_large")
    assert bad_length.status_code in (400, 413)
    assert row_counts(loaded) == before


BAD_CSV = [  # (body, what makes it broken)
    ("", "empty"),
    ("order_id;brand;product\nX;spree;spree-tote\n", "wrong separator and columns"),
    (CSV_HEAD + 'CSV-1,spree,spree-tote,"design=wave,1,52.5,13.4,ship,2026-12-09,2026-12-02T10:00\n', "open quote"),
    (CSV_HEAD + CSV_ROW.replace(",1,", ",two,"), "quantity not a number"),
    (CSV_HEAD + CSV_ROW.replace(",1,", ",1e400,"), "quantity infinite"),
    (CSV_HEAD + CSV_ROW.replace("52.5", "nan"), "latitude NaN"),
    (CSV_HEAD + CSV_ROW.replace("2026-12-09", "2026-13-40"), "impossible date"),
    (CSV_HEAD + CSV_ROW + CSV_ROW.replace("spree-tote", "../../etc/passwd"), "unknown product after a good row"),
    (CSV_HEAD + CSV_ROW.replace("CSV-9,", "CSV-9,extra,"), "too many cells"),
    (CSV_HEAD + "CSV-9,spree\n", "too few cells"),
    (CSV_HEAD + CSV_ROW.replace("spree,", "kiez,", 1).replace("spree-tote", "spree-tote"), "brand and product differ"),
    ("\x00\x01\x02binary", "binary"),
]


def test_broken_csv_imports_nothing(client: TestClient, loaded: Container) -> None:
    """A broken orders.csv is a 422 invalid_file naming the file (FILE:LINE problems) and imports nothing."""
    before = row_counts(loaded)
    cases = []
    for body, why in BAD_CSV:
        r = client.post("/v1/orders/import", content=body.encode(), headers={"content-type": "text/csv"})
        cases.append((why, r, 422, "orders.csv", "invalid_file"))
        assert r.status_code != 422 or r.json()["details"]["problems"], why
    problems = refusal_problems(cases)
    assert not problems, problems
    assert row_counts(loaded) == before


def test_non_utf8_csv_imports_nothing(client: TestClient, loaded: Container) -> None:
    """A Latin-1 CSV body is a 422 invalid_file and imports nothing."""
    before = row_counts(loaded)
    r = client.post("/v1/orders/import", content=(CSV_HEAD + CSV_ROW.replace("spree-tote", "spree-töte")).encode("latin-1"),
                    headers={"content-type": "text/csv"})
    assert_refused(r, 422, "orders.csv", "invalid_file")
    assert row_counts(loaded) == before


SHOPIFY = {"id": 1, "order_number": 77, "created_at": "2026-12-01T10:00:00+01:00", "customer": {"id": 1},
           "line_items": [{"sku": "SPREE-TOTE-BEAR", "variant_title": "bear", "quantity": 1, "properties": []}],
           "shipping_address": {"latitude": 52.5, "longitude": 13.4}}


def _forgeries() -> list[tuple[bytes, dict[str, str]]]:
    body = json.dumps(SHOPIFY).encode()
    other = json.dumps({**SHOPIFY, "order_number": 78}).encode()
    good = sign("shpss_test_secret", body)
    return [(body, {"X-Shopify-Hmac-Sha256": sign("guessed-secret", body)}),
            (body, {"X-Shopify-Hmac-Sha256": sign("shpss_test_secret", other)}),
            (body, {"X-Shopify-Hmac-Sha256": good[:-4]}),
            (body, {"X-Shopify-Hmac-Sha256": "not base64 at all!"}),
            (body, {"X-Shopify-Hmac-Sha256": ""}),
            (body, {}),
            (body + b" ", {"X-Shopify-Hmac-Sha256": good}),
            (body, {"X-Shopify-Hmac-Sha256": good.lower()})]


def test_forged_shopify_signatures_are_refused(client: TestClient, loaded: Container) -> None:
    """A wrong, truncated, mangled, missing or other-body signature is 401 bad_signature; nothing stored."""
    before = row_counts(loaded)
    cases = [(f"forgery {i}", client.post("/v1/webhooks/shopify/spree", content=body,
                                          headers={"content-type": "application/json", **headers}),
              401, "X-Shopify-Hmac-Sha256", "bad_signature") for i, (body, headers) in enumerate(_forgeries())]
    problems = refusal_problems(cases)
    assert len(cases) == 8 and not problems, problems
    assert row_counts(loaded) == before


def test_signed_but_broken_shopify_payloads_are_refused(client: TestClient, loaded: Container) -> None:
    """A correctly signed body that is not JSON, or not an order, is a 4xx naming the field; nothing stored."""
    before = row_counts(loaded)
    for body in (b"{not json", b"[1, 2]", json.dumps({**SHOPIFY, "line_items": "x"}).encode(),
                 json.dumps({**SHOPIFY, "line_items": [{"sku": "SPREE-TOTE-BEAR", "quantity": 1e400}]}).encode(),
                 json.dumps({**SHOPIFY, "shipping_address": {"latitude": "NaN", "longitude": 13.4}}).encode()):
        r = client.post("/v1/webhooks/shopify/spree", content=body,
                        headers={"content-type": "application/json",
                                 "X-Shopify-Hmac-Sha256": sign("shpss_test_secret", body)})
        assert_refused(r, (400, 422))
    assert row_counts(loaded) == before


def _token(c: Container, *, now: Any = NOW, days: int | None = 90, revoke: bool = False) -> str:
    with c.uow() as uow:
        secret, info = auth.create_token(uow, name=f"t-{days}-{revoke}-{now}", role="admin", now=now, days=days)
        if revoke:
            auth.revoke_token(uow, info["id"], NOW)
        uow.commit()
    return secret


def test_expired_revoked_unknown_and_malformed_tokens_write_nothing(client: TestClient, loaded: Container) -> None:
    """Expired, revoked, unknown and malformed bearer tokens are 401 on authorization, on reads and writes."""
    expired = _token(loaded, now=NOW - timedelta(days=10), days=1)
    revoked = _token(loaded, revoke=True)
    before = row_counts(loaded)
    headers = [f"Bearer {expired}", f"Bearer {revoked}", "Bearer mf_" + "x" * 43, "Basic dXNlcjpwYXNz", "Bearer ",
               "Bearer " + "x" * 10_000, "Bearer \x7f\x00"]
    for h in headers:
        for method, path, body in (("POST", "/v1/orders", TEE), ("GET", "/v1/orders", None),
                                   ("POST", "/v1/webhook-subscriptions", {"url": "http://127.0.0.1:9/x", "events": ["order.status"]})):
            r = client.request(method, path, json=body, headers={"Authorization": h, "Idempotency-Key": "tok-1"})
            assert_refused(r, 401, "authorization", "unauthenticated")
    assert row_counts(loaded) == before


CURSORS = ["abc", "-1", "1e5", "9" * 19, " 1", "1.0", "\u00b2", "\u0661\u0662", "0x10", "%00", "9" * 18, "2147483648"]


def test_malformed_cursors_are_refused(client: TestClient) -> None:
    """A cursor this API did not return is 422 on cursor (or an empty, well-formed page), never a 500."""
    cases = []
    for cursor in CURSORS:
        r = client.get("/v1/orders", params={"cursor": cursor})
        if r.status_code == 200:
            assert r.json()["items"] == [] or cursor.strip().isdigit(), cursor
        else:
            cases.append((repr(cursor), r, 422, "cursor", "invalid_input"))
    problems = refusal_problems(cases)
    assert not problems, problems


TRAVERSAL = ["..%2F..%2Fetc%2Fpasswd", "%2e%2e", "..%5C..%5Cwindows%5Cwin.ini", "BER-000001%00", "x" * 5000,
             "%F0%9F%92%A5", "'%20OR%201=1--", "%252e%252e%252f"]


def test_path_traversal_ids_are_not_found(client: TestClient, loaded: Container) -> None:
    """Ids shaped like paths, NULs, SQL or huge strings are a 404 (or 422) JSON error on reads and writes."""
    before = row_counts(loaded)
    cases = []
    for ident in TRAVERSAL:
        for method, path in (("GET", f"/v1/orders/{ident}"), ("GET", f"/v1/orders/{ident}/events"),
                             ("GET", f"/v1/sites/{ident}"), ("GET", f"/v1/products/{ident}/bom"),
                             ("GET", f"/v1/batches/{ident}/label.pdf"), ("GET", f"/v1/trace/units/{ident}/back"),
                             ("POST", f"/v1/orders/{ident}/route"), ("POST", f"/v1/batches/{ident}/start"),
                             ("GET", f"/v1/returns/{ident}"), ("DELETE", f"/v1/webhook-subscriptions/{ident}")):
            r = client.request(method, path, headers={"Idempotency-Key": "trav-1"})
            cases.append((f"{method} {path[:80]}", r, (404, 422), None, None))
    problems = refusal_problems(cases)
    assert not problems, problems
    assert row_counts(loaded) == before


UNKNOWN_FIELD_WRITES = [  # routes that write: an unknown field must be refused, not ignored
    ("/v1/routing/runs", {"policy": "greedy", "time_limit_s": 1, "force": True}, "force"),
    ("/v1/sites/mf-kreuzberg/status", {"status": "down", "why": "x"}, "why"),
    ("/v1/webhook-subscriptions", {"url": "http://127.0.0.1:9/x", "events": ["order.status"], "admin": True}, "admin"),
    ("/v1/returns", {"order_id": "BER-000002", "line_id": "BER-000002-1", "reason": "fit", "refund": 1e9}, "refund"),
    ("/v1/batches/B-1/inspections", {"inspector": "ann", "defects": [], "pass": True}, "pass"),
    ("/v1/batches/B-1/disposition", {"action": "rework", "by": "x"}, "by"),
    ("/v1/orders/BER-000002/shipping", {"mode": "van", "co2": 0}, "co2"),
]


def test_unknown_fields_in_writes_are_refused(client: TestClient, loaded: Container) -> None:
    """A write with a field the API does not know is 422 naming that field, before anything runs."""
    before = row_counts(loaded)
    cases = [(path, client.post(path, json=body), 422, field, "invalid_input") for path, body, field in UNKNOWN_FIELD_WRITES]
    problems = refusal_problems(cases)
    assert not problems, problems
    assert row_counts(loaded) == before


def test_nan_and_infinite_numbers_in_writes_are_refused(client: TestClient, loaded: Container) -> None:
    """NaN or infinity where a write takes a number is 422 naming it; nothing is stored."""
    before = row_counts(loaded)
    for path, raw, field in (("/v1/routing/runs", '{"policy": "greedy", "time_limit_s": NaN}', "time_limit_s"),
                             ("/v1/routing/runs", '{"policy": "greedy", "time_limit_s": Infinity}', "time_limit_s"),
                             ("/v1/orders/BER-000002/shipping", '{"distance_km": NaN}', "distance_km"),
                             ("/v1/orders/BER-000002/shipping", '{"distance_km": 1e999}', "distance_km")):
        assert_refused(post_json(client, path, raw), 422, field)
    assert row_counts(loaded) == before


def test_broken_scenario_yaml_loads_nothing(db_url: str, tmp_path: Path) -> None:
    """`microfactory load` on a folder with a broken network.yaml fails naming FILE:LINE and stores nothing."""
    from microfactory.bootstrap import Settings, bootstrap
    from microfactory.entrypoints.cli.main import app

    folder = tmp_path / "broken"
    shutil.copytree(EXAMPLE, folder)
    text_ = (folder / "network.yaml").read_text()
    (folder / "network.yaml").write_text(text_.replace("  - id: mf-wedding", "  - id: [mf-wedding\n\t bad: :", 1))
    c = bootstrap(Settings(database_url=db_url))
    before = row_counts(c)
    result = CliRunner().invoke(app, ["load", str(folder), "--db", db_url])
    assert result.exit_code == 3, result.output
    assert "network.yaml:" in result.output
    assert row_counts(c) == before
    c.engine.dispose()


def test_catalog_yaml_with_wrong_types_loads_nothing(db_url: str, tmp_path: Path) -> None:
    """A catalog.yaml whose price is text and whose BOM quantity is NaN fails naming the file; nothing stored."""
    from microfactory.bootstrap import Settings, bootstrap
    from microfactory.entrypoints.cli.main import app

    folder = tmp_path / "broken"
    shutil.copytree(EXAMPLE, folder)
    catalog = (folder / "catalog.yaml").read_text()
    (folder / "catalog.yaml").write_text(catalog.replace("price: 129", "price: lots", 1))
    c = bootstrap(Settings(database_url=db_url))
    before = row_counts(c)
    result = CliRunner().invoke(app, ["load", str(folder), "--db", db_url])
    assert result.exit_code in (2, 3), result.output
    assert "catalog.yaml" in result.output
    assert row_counts(c) == before
    c.engine.dispose()


def test_nul_characters_in_json_strings_are_refused(client: TestClient, loaded: Container) -> None:
    """NUL in a brand, product, external id or customer ref is a 4xx (PostgreSQL cannot store it); nothing stored."""
    before = row_counts(loaded)
    for i, change in enumerate(({"brand": "spr\u0000ee"}, {"external_id": "x\u0000"},
                                {"customer": {"lat": 52.5, "lon": 13.4, "ref": "\u0000"}},
                                {"lines": [{**TEE["lines"][0], "product": "spree-tee\u0000"}]})):
        r = client.post("/v1/orders", json={**TEE, **change}, headers={"Idempotency-Key": f"nul-{i}"})
        if r.status_code == 201:  # SQLite stores NUL faithfully: then it is one new order, nothing else
            assert loaded.engine.dialect.name == "sqlite"
            after = row_counts(loaded)
            assert after["orders"] == before["orders"] + 1
            before = after
            continue
        assert_refused(r, (404, 422))
    assert row_counts(loaded) == before


def test_kpi_periods_and_solver_seeds_are_bounded(loaded: Container) -> None:
    """A KPI period in year 295 or over ten years, and a run-proposal seed above 32 bits, are 422s (found by fuzzing)."""
    from fastapi.testclient import TestClient

    from microfactory.entrypoints.api.app import create_app

    client = TestClient(create_app(loaded))
    assert client.get("/v1/kpis", params={"from": "0295-06-22T16:13:09Z"}).json()["field"] == "from"
    long = client.get("/v1/kpis", params={"from": "2000-01-01T00:00:00", "to": "2030-01-01T00:00:00"})
    assert long.status_code == 422 and long.json()["field"] == "to"
    r = client.post("/v1/runs/propose", params={"seed": 18442570010859}, json=[])
    assert r.status_code == 422 and r.json()["field"] == "seed"
