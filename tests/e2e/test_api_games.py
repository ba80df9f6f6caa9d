"""Games over HTTP: solving a game document, voting power, and their problem responses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from alliance.core.clock import FrozenClock
from alliance.server import create_app
from alliance.store.database import Store
from tests.support.http import admin_headers, problem

GLOVE = {"type": "table", "players": ["L", "R1", "R2"],
         "values": {"L": 0, "R1": 0, "R2": 0, "L;R1": 1, "L;R2": 1, "R1;R2": 0, "L;R1;R2": 1}}


@pytest.fixture
def client(store: Store, clock: FrozenClock) -> Iterator[TestClient]:
    with TestClient(create_app(store, clock)) as c:
        c.headers.update(admin_headers(store))
        yield c



def test_solve_a_game(client: TestClient) -> None:
    r = client.post("/api/v1/games/solve", json={"game": GLOVE, "solutions": ["shapley", "nucleolus", "core"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["players"] == ["L", "R1", "R2"]
    assert body["shapley"] == {"L": pytest.approx(2 / 3), "R1": pytest.approx(1 / 6), "R2": pytest.approx(1 / 6)}
    assert body["nucleolus"] == {"L": 1.0, "R1": 0.0, "R2": 0.0}
    assert body["core"]["in_core"] is False and body["core"]["blocking"] in (["L", "R1"], ["L", "R2"])
    r = client.post("/api/v1/games/solve", json={"game": GLOVE, "solutions": ["core"],
                                                 "allocation": {"L": "0.8", "R1": "0.1", "R2": "0.1"}})
    assert r.status_code == 200, r.text
    assert r.json()["core"]["blocking"] in (["L", "R1"], ["L", "R2"]) and r.json()["core"]["excess"] == pytest.approx(0.1)


def test_solve_problems(client: TestClient) -> None:
    body = problem(client.post("/api/v1/games/solve", json={"game": {"type": "table", "players": ["A", "B"], "values": {"A": 1}}}),
                   422, "game_invalid")
    assert any("no worth" in p["reason"] for p in body["errors"])
    problem(client.post("/api/v1/games/solve", json={"game": GLOVE, "solutions": ["fairest"]}), 422, "game_invalid")
    r = client.post("/api/v1/games/solve", json={"game": GLOVE, "colour": "blue"})
    assert r.status_code == 422  # unknown fields are refused
    big = {"type": "weighted_voting", "quota": 20, "weights": {f"M{i}": 1 for i in range(30)}}
    problem(client.post("/api/v1/games/solve", json={"game": big, "solutions": ["nucleolus"]}), 422, "game_too_large")


def test_voting_power(client: TestClient) -> None:
    r = client.post("/api/v1/voting-power", json={"quota": "12", "veto": [],
                                                  "weights": {"FR": 4, "DE": 4, "IT": 4, "BE": 2, "NL": 2, "LU": "1"}})
    assert r.status_code == 200, r.text
    members = {m["member"]: m for m in r.json()["members"]}
    assert members["FR"]["shapley_shubik"] == pytest.approx(7 / 30)
    assert members["LU"]["shapley_shubik"] == pytest.approx(0.0) and members["LU"]["weight"] == "1"
    assert members["BE"]["weight_share"] == pytest.approx(2 / 17)
    problem(client.post("/api/v1/voting-power", json={"quota": "3", "weights": {"A": 1}, "veto": ["B"]}), 422, "game_invalid")
    assert client.post("/api/v1/voting-power", json={"quota": "-1", "weights": {"A": 1}}).status_code == 422


@pytest.mark.parametrize("number", ["1e99999999", "-1e99999999", "1e400", "NaN", "Infinity", 1e300, "9" * 80])
def test_numbers_out_of_range_are_refused_at_once(client: TestClient, number: object) -> None:
    # A 100-byte body once made the server build a 100-million-digit integer and stop answering.
    solve = client.post("/api/v1/games/solve", json={"game": {"type": "table", "players": ["A", "B"],
                                                              "values": {"A": number, "B": "1", "A;B": "3"}}})
    body = problem(solve, 422, "game_invalid")
    assert any("is not a number" in p["reason"] for p in body["errors"])
    voting = client.post("/api/v1/voting-power", json={"quota": "2", "weights": {"A": number, "B": "1"}})
    assert voting.status_code == 422
    assert client.get("/healthz").status_code == 200


def test_voting_power_over_the_work_bound_is_refused_up_front(client: TestClient) -> None:
    weights = {f"v{i}": str(400 + i % 200) for i in range(200)}
    body = problem(client.post("/api/v1/voting-power", json={"quota": "99000", "weights": weights}), 422, "game_too_large")
    assert "limit" in body["detail"]


def test_a_computation_over_its_time_budget_answers_503_with_retry_after(client: TestClient,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # A computation within the bounds that takes far longer than the budget on any machine (a tiny
    # one could finish while the server waits on a busy core: this was flaky at a 1 us budget).
    monkeypatch.setenv("ALLIANCE_COMPUTE_SECONDS", "0.001")
    weights = {f"m{i:03d}": str(i) for i in range(1, 101)}
    r = client.post("/api/v1/voting-power", json={"quota": "2526", "weights": weights})
    problem(r, 503, "compute_over_budget")
    assert int(r.headers["retry-after"]) >= 1
    monkeypatch.setenv("ALLIANCE_COMPUTE_SECONDS", "60")
    assert client.post("/api/v1/games/solve", json={"game": GLOVE, "solutions": ["shapley"]}).status_code == 200
