"""Shared operations over HTTP (issue 25): odd and hostile values answer problem+json (4xx) and store nothing."""

from __future__ import annotations

import pytest

from tests.e2e.test_api_warehouse import api  # noqa: F401 (the fixture)

BASE = "/api/v1/alliances/nb"


def _never_500(client, headers, method: str, path: str, body: object) -> int:  # type: ignore[no-untyped-def]
    r = client.request(method, BASE + path, headers=headers, json=body)
    assert r.status_code < 500, (path, body, r.status_code, r.text[:500])
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json"), r.text
    return r.status_code


ODD = ["NaN", "Infinity", "-Infinity", "1e999999999", "-0", "1e-999999999", "0x10", "１０", "10\x00", " ", "",
       "9" * 23]


@pytest.mark.parametrize("odd", ODD)
def test_odd_numbers_in_every_operation_answer_a_problem(api, odd: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    client, as_, _ = api
    c = as_["coordinator"]
    _never_500(client, as_["M0001"], "POST", "/warehouses", {"name": "仓", "owner": "M0001", "capacity": odd,
                                                             "price_day": odd})
    _never_500(client, as_["M0001"], "POST", "/warehouses", {"name": "仓", "owner": "M0001", "capacity": "10",
                                                             "price_day": "1", "free_days": odd,
                                                             "surcharge_after_days": odd, "surcharge_percent": odd})
    tiers = [{"min_quantity": 1, "unit_price": odd}]
    _never_500(client, c, "POST", "/purchasing/campaigns", {
        "title": "纸", "item": "A4", "organiser": "M0001", "deadline": "2026-11-20T10:00", "minimum": 1,
        "quotes": [{"supplier": "S", "tiers": tiers}], "fee_rate": odd, "deposit_per_unit": odd,
        "purchasing_share": odd, "threshold": odd})
    _never_500(client, c, "PUT", "/referrals/programme", {"commission_rate": odd})
    _never_500(client, c, "POST", "/purchasing/campaigns", {
        "title": "纸", "item": "A4", "organiser": "M0001", "deadline": odd, "minimum": 1,
        "quotes": [{"supplier": "S", "tiers": [{"min_quantity": 1, "unit_price": "1"}]}]})


def test_odd_days_and_sizes_answer_a_problem(api) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    client, as_, _ = api
    m1, m2 = as_["M0001"], as_["M0002"]
    assert _never_500(client, m1, "POST", "/warehouses", {"name": "仓", "owner": "M0001", "capacity": "10",
                                                          "price_day": "10.00"}) == 201
    for start, end in (("0001-01-01", "9999-12-31"), ("9999-12-31", "9999-12-31"), (1699920000, 1699920000),
                       ("2026-11-03T00:00:00", "2026-11-04"), ("2026-02-30", "2026-03-01")):
        assert _never_500(client, m2, "POST", "/warehouses/1/bookings", {
            "member": "M0002", "quantity": 1, "starts_on": start, "ends_on": end}) in (404, 409, 422)
    for q in (0, -1, 10**15, 2**63, "1"):
        _never_500(client, m2, "POST", "/warehouses/1/bookings", {
            "member": "M0002", "quantity": q, "starts_on": "2026-11-03", "ends_on": "2026-11-04"})
    for path in ("/warehouses/1/quote?quantity=1&start=0001-01-01&end=9999-12-31",
                 "/warehouses/1/availability?start=9999-12-01&end=9999-12-31",
                 "/warehouses/1/quote?quantity=1&start=2026-11-01&end=2026-11-02x",
                 "/referrals/leaderboard?period=9999-Q9", "/referrals/leaderboard?period=0000-00",
                 "/warehouse-invoices?month=9999-99", "/glossary/terms?q=" + "%00" * 10,
                 "/purchasing/campaigns/99999999999", "/referrals/2147483648"):
        r = client.get(BASE + path, headers=m2)
        assert r.status_code < 500, (path, r.text[:300])
    long = "长" * 100_000
    _never_500(client, m1, "POST", "/referrals", {"to_member": "M0002", "name": long, "contact": "x",
                                                  "products": "p", "consent": {"by": "x", "at": "2026-11-01"}})
    _never_500(client, m1, "POST", "/referrals", {"to_member": "M0002", "name": "A\x00\x1b[31m", "contact": "x",
                                                  "products": "p", "consent": {"by": "x", "at": "0001-01-01"}})
    _never_500(client, m1, "POST", "/referrals", {"to_member": "M0002", "name": "B", "contact": "x",
                                                  "products": "p", "consent": {"by": "x", "at": "9999-12-31"}})
