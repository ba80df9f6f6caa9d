"""Review: an ε or budget too large for Decimal's context is a 500, not a 422."""

from __future__ import annotations


from tests.e2e.test_api_view_privacy import PRIVACY, V, publish, world  # noqa: F401


def test_a_huge_epsilon_is_refused_as_bad_input(world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    client, keys = world
    client.raise_server_exceptions = False
    view = publish(client, keys)
    r = client.get(f"{V}/{view}/groups", headers=keys["partner_admin"], params={"epsilon": "1E+999999999"})
    assert r.status_code == 422, (r.status_code, r.text)


def test_a_huge_budget_is_refused_as_bad_input(world) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    client, keys = world
    client.raise_server_exceptions = False
    r = client.post(V, headers=keys["publisher"], json={
        "member": "M0001", "name": "x", "fields": {"channel": "visible", "amount": "aggregate", "quantity": "aggregate"},
        "k": 5, "privacy": {**PRIVACY, "budget": "1E+999999999"}})
    assert r.status_code == 422, (r.status_code, r.text)
