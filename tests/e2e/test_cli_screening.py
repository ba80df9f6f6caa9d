"""`alliance screen` and `alliance ahp` end to end: outputs, members as candidates, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from alliance.cli.main import app

runner = CliRunner()
ARTICLE = "name,战略匹配度,资源互补性,财务健康度,市场声誉,文化兼容性\n伙伴A,8,9,7,8,6\n伙伴B,9,7,9,9,8\n伙伴C,7,8,6,7,9\n"


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def partners(tmp_path: Path) -> Path:
    path = tmp_path / "partners.csv"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def test_screen_json_follows_the_documented_shape(partners: Path) -> None:
    r = invoke("screen", str(partners), "--criteria", "article", "--format", "json")
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert body["method"] == "weighted"
    assert [(row["rank"], row["name"]) for row in body["ranking"]] == [(1, "伙伴B"), (2, "伙伴A"), (3, "伙伴C")]
    assert body["ranking"][0]["score"] == pytest.approx(8.4)
    assert body["ranking"][0]["contributions"]["战略匹配度"] == pytest.approx(2.7)
    assert body["excluded"] == []
    margins = {m["criterion"]: m for m in body["sensitivity"]["weight_margins"]}
    assert margins["资源互补性"]["increase"] == pytest.approx(0.055 / 0.34, abs=1e-9)
    assert body["sensitivity"]["first_place_probability"] == {"伙伴B": 1.0}


def test_screen_table_and_topsis(partners: Path) -> None:
    r = invoke("screen", str(partners), "--method", "topsis")
    assert r.exit_code == 0, r.output
    assert "伙伴B" in r.stdout and "swaps the first two" in r.stdout


def test_screen_writes_xlsx(partners: Path, tmp_path: Path) -> None:
    out = tmp_path / "ranking.xlsx"
    r = invoke("screen", str(partners), "-f", "xlsx", "-o", str(out))
    assert r.exit_code == 0, r.output
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("rank", "name", "score") and rows[1][1] == "伙伴B"


def test_screen_thresholds_exclude_with_reasons(partners: Path, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("战略匹配度: {weight: 0.5, min: 8}\n资源互补性: 0.2\n财务健康度: 0.1\n市场声誉: 0.1\n文化兼容性: 0.1\n",
                    encoding="utf-8")
    body = json.loads(invoke("screen", str(partners), "-c", str(spec), "-f", "json").stdout)
    assert [r["name"] for r in body["ranking"]] == ["伙伴B", "伙伴A"]
    assert body["excluded"] == [{"name": "伙伴C", "reason": "战略匹配度 = 7 is below the minimum 8"}]


def test_weights_not_summing_to_one(partners: Path, tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"战略匹配度": 3, "资源互补性": 2, "财务健康度": 2, "市场声誉": 2, "文化兼容性": 1}))
    r = invoke("screen", str(partners), "-c", str(spec))
    assert r.exit_code == 2 and "sum to 10" in r.stderr and "--normalize" in r.stderr
    r = invoke("screen", str(partners), "-c", str(spec), "--normalize", "-f", "json")
    assert r.exit_code == 0
    assert "were divided by it" in r.stderr
    assert json.loads(r.stdout)["notes"] == ["weights summed to 10 and were divided by it"]


def test_table_problems_name_row_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,战略匹配度,资源互补性,财务健康度,市场声誉,备注\n伙伴A,8,x,7,8,y\n伙伴B,,7,9,11,z\n", encoding="utf-8")
    r = invoke("screen", str(bad))
    assert r.exit_code == 2
    assert "文化兼容性" in r.stderr and "criterion in the spec but not a column" in r.stderr
    assert "备注" in r.stderr and "column not in the criteria spec" in r.stderr
    fixed = tmp_path / "cells.csv"
    fixed.write_text("名称,战略匹配度,资源互补性,财务健康度,市场声誉,文化兼容性\n伙伴A,8,x,7,8,6\n伙伴B,,7,9,11,8\n", encoding="utf-8")
    r = invoke("screen", str(fixed))
    assert r.exit_code == 2
    for expected in ("row 2", "资源互补性", "'x' is not a number", "row 3", "is empty", "outside the 0-10"):
        assert expected in r.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("screen",), "either a CANDIDATES file or --alliance"),
        (("screen", "x.csv", "-c", "nonesuch"), "not a ready-made criteria set"),
        (("screen", "x.csv", "-a", "nb"), "either a CANDIDATES file or --alliance"),
        (("screen", "/nonexistent.csv"), "no such file"),
        (("screen", "/nonexistent.csv", "-f", "pdf"), "--format must be one of"),
    ],
)
def test_screen_refusals(args: tuple[str, ...], message: str) -> None:
    r = invoke(*args)
    assert r.exit_code == 2 and message in r.stderr and "Traceback" not in r.output


def test_screen_an_alliances_members(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_HOME", str(tmp_path))  # the demo's order lines and sign-ins file go there
    assert invoke("demo", "--without-history").exit_code == 0  # members suffice here
    r = invoke("screen", "--alliance", "nb-precision", "--criteria", "financial", "-f", "json")
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert len(body["ranking"]) == 7
    assert set(body["ranking"][0]["contributions"]) == {"revenue", "profit", "cash_flow", "debt_ratio", "compliance_records"}
    r = invoke("screen", "--alliance", "nb-precision", "--criteria", "article")
    assert r.exit_code == 2 and "members have no such metric" in r.stderr
    r = invoke("screen", "--alliance", "nope", "--criteria", "financial")
    assert r.exit_code == 1 and "no alliance with code 'nope'" in r.stderr


def test_ahp(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(",战略匹配度,资源互补性,财务健康度\n战略匹配度,1,3,5\n资源互补性,1/3,1,2\n财务健康度,,,1\n", encoding="utf-8")
    body = json.loads(invoke("ahp", str(good), "-f", "json").stdout)
    assert body["consistent"] is True and body["consistency_ratio"] < 0.1
    assert sum(body["weights"].values()) == pytest.approx(1.0)
    assert max(body["weights"], key=body["weights"].get) == "战略匹配度"
    bad = tmp_path / "bad.csv"
    bad.write_text(",A,B,C\nA,1,9,1/9\nB,1/9,1,9\nC,9,1/9,1\n", encoding="utf-8")
    r = invoke("ahp", str(bad))
    assert r.exit_code == 2 and "consistency ratio" in r.stderr and "--force" in r.stderr
    assert " vs " in r.stderr
    r = invoke("ahp", str(bad), "--force", "-f", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["consistent"] is False
    broken = tmp_path / "broken.csv"
    broken.write_text(",A,B\nA,1,3\nB,3,1\n", encoding="utf-8")
    r = invoke("ahp", str(broken))
    assert r.exit_code == 2 and "not the reciprocal" in r.stderr


def test_recorded_run_to_partner_through_the_cli(database_url: str, monkeypatch: pytest.MonkeyPatch,
                                                 partners: Path, tmp_path: Path) -> None:
    monkeypatch.setenv("ALLIANCE_DATABASE_URL", database_url)
    monkeypatch.setenv("ALLIANCE_ACTOR", "王秘书长")
    assert invoke("alliance", "create", "nb", "--name", "宁波联盟").exit_code == 0
    r = invoke("screen", str(partners), "--record", "nb", "-f", "json", "--draws", "200")
    assert r.exit_code == 0, r.output
    assert "Saved as screening run 1 of nb" in r.stderr
    assert "伙伴B" in invoke("screening", "list", "-a", "nb").stdout
    r = invoke("screening", "show", "1", "-a", "nb", "--recompute", "-f", "json")
    assert r.exit_code == 0 and "identical" in r.stderr
    assert json.loads(r.stdout)["ranking"][0]["name"] == "伙伴B"

    assert "Prospect 1: 伙伴B" in invoke("prospect", "shortlist", "1", "-a", "nb", "--top", "1").stdout
    assert invoke("prospect", "move", "1", "-a", "nb", "--to", "due_diligence").exit_code == 0
    r = invoke("pilot", "start", "1", "-a", "nb", "--name", "联合促销", "--starts", "2026-12-01", "--ends", "2027-01-31")
    assert r.exit_code == 2 and "required due-diligence item(s)" in r.stderr

    items = json.loads(invoke("dd", "list", "1", "-a", "nb", "--json").stdout)
    proof = tmp_path / "营业执照.pdf"
    proof.write_bytes(b"%PDF-1.4 fake licence")
    for item in items:
        if item["required"]:
            r = invoke("dd", "set", str(item["id"]), "-a", "nb", "--status", "done", "--evidence", str(proof))
            assert r.exit_code == 0, r.output
    r = invoke("dd", "set", str(items[0]["id"]), "-a", "nb", "--status", "waived")
    assert r.exit_code == 2 and "waiver needs a reason" in r.stderr
    copy = tmp_path / "copy.pdf"
    assert invoke("dd", "evidence", str(items[0]["id"]), "-a", "nb", "-o", str(copy)).exit_code == 0
    assert copy.read_bytes() == proof.read_bytes()

    assert invoke("pilot", "start", "1", "-a", "nb", "--name", "联合促销", "--starts", "2026-12-01",
                  "--ends", "2027-01-31", "--cadence", "weekly").exit_code == 0
    assert invoke("pilot", "kpi", "1", "-a", "nb", "--name", "获客成本", "--target", "50", "--direction", "lower",
                  "--unit", "元").exit_code == 0
    assert invoke("pilot", "measure", "1", "-a", "nb", "--value", "45", "--on", "2027-01-15").exit_code == 0
    assert invoke("pilot", "measure", "1", "-a", "nb", "--value", "abc", "--on", "2027-01-16").exit_code == 2
    review = json.loads(invoke("pilot", "review", "1", "-a", "nb", "--decide", "go", "--json").stdout)
    assert review["all_met"] is True and review["decision"] == "go" and review["stage"] == "partner"
    assert review["kpis"][0]["attainment"] == "1.1111"
    shown = json.loads(invoke("prospect", "show", "1", "-a", "nb", "--json").stdout)
    assert [e["to"] for e in shown["events"]] == ["screened", "due_diligence", "pilot", "partner"]
    assert shown["events"][-1]["actor"] == "王秘书长"
