"""`alliance game solve` and `alliance voting-power` end to end: documented JSON, tables, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alliance.cli.main import app

runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


def write(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return path


def test_solve_prints_the_documented_json(tmp_path: Path) -> None:
    game = write(tmp_path, "airport.json", {"type": "airport", "requirements": {"小仓": "1", "中仓": "2", "大仓": "4"}})
    r = invoke("game", "solve", str(game), "--solution", "all", "--format", "json")
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert body["players"] == ["小仓", "中仓", "大仓"] and body["cost_game"] is True
    assert body["shapley"] == {"小仓": pytest.approx(1 / 3), "中仓": pytest.approx(5 / 6), "大仓": pytest.approx(17 / 6)}
    assert body["nucleolus"] == {"小仓": 0.5, "中仓": 0.75, "大仓": 2.75}
    assert body["core"]["in_core"] is True and body["core"]["blocking"] is None
    assert set(body) >= {"players", "shapley", "banzhaf", "core", "nucleolus"}


def test_solve_a_worth_table_in_csv(tmp_path: Path) -> None:
    table = write(tmp_path, "worths.csv", "coalition,value\nA,0\nB,0\nA;B,10\n")
    r = invoke("game", "solve", str(table), "-s", "shapley")
    assert r.exit_code == 0, r.output
    assert "shapley" in r.stdout and "5" in r.stdout


def test_solve_refuses_a_bad_file_listing_every_problem(tmp_path: Path) -> None:
    game = write(tmp_path, "bad.json", {"type": "weighted_voting", "quota": "x", "weights": {"A": -1}})
    r = invoke("game", "solve", str(game))
    assert r.exit_code == 2
    assert "quota" in r.stderr and "a weight cannot be negative" in r.stderr
    r = invoke("game", "solve", str(tmp_path / "missing.json"))
    assert r.exit_code == 2 and "no such file" in r.stderr
    r = invoke("game", "solve", str(write(tmp_path, "ok.json", {"type": "airport", "requirements": {"A": 1}})), "-s", "magic")
    assert r.exit_code == 2 and "unknown solution" in r.stderr


def test_voting_power_table_and_json(tmp_path: Path) -> None:
    weights = write(tmp_path, "weights.csv", "member,weight\n华东零售,40\n华南品牌,30\n西南物流,20\n小店,10\n")
    r = invoke("voting-power", "--quota", "51", "--weights", str(weights), "--veto", "华东零售", "--format", "json")
    assert r.exit_code == 0, r.output
    members = {m["member"]: m for m in json.loads(r.stdout)["members"]}
    assert members["华东零售"]["shapley_shubik"] == pytest.approx(2 / 3) and members["华东零售"]["veto"] is True
    assert members["小店"]["shapley_shubik"] == 0.0 and members["小店"]["weight_share"] == pytest.approx(0.1)
    r = invoke("voting-power", "--quota", "51", "--weights", str(weights))
    assert r.exit_code == 0 and "Shapley-Shubik %" in r.stdout and "华南品牌" in r.stdout
    r = invoke("voting-power", "--quota", "51", "--weights", str(weights), "--veto", "nobody")
    assert r.exit_code == 2 and "'nobody' has no weight" in r.stderr


def test_solve_checks_a_proposed_allocation_against_the_core(tmp_path: Path) -> None:
    glove = write(tmp_path, "glove.json", {"type": "table", "players": ["L", "R1", "R2"], "values": {
        "L": 0, "R1": 0, "R2": 0, "L;R1": 1, "L;R2": 1, "R1;R2": 0, "L;R1;R2": 1}})
    fair = write(tmp_path, "fair.json", {"L": "1", "R1": 0, "R2": 0})
    r = invoke("game", "solve", str(glove), "-s", "core", "--allocation", str(fair), "-f", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["core"]["in_core"] is True
    wrong = write(tmp_path, "wrong.json", {"L": "0.5", "R1": "0.5", "Z": 0})
    r = invoke("game", "solve", str(glove), "-s", "core", "--allocation", str(wrong))
    assert r.exit_code == 2 and "no value for R2" in r.stderr
    r = invoke("game", "solve", str(glove), "-s", "core", "--allocation", str(write(tmp_path, "x.json", {"L": "lots"})))
    assert r.exit_code == 2 and "not a number" in r.stderr
