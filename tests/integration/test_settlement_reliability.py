"""A fast slice of the randomised reliability test (docs/settlement.md, "Reliability").

Generated worlds (every rule kind, refunds, retried and late lines, re-runs and concurrent runs)
are imported and settled through the real services; every run's statement must equal the
reference engine's on the lines it saw, and the period invariants must hold. The full run is
`scripts/reliability` (100,000 settlements); this slice runs a few worlds of a fixed seed. A
checker that cannot fail proves nothing, so the last tests corrupt a stored statement and expect
the checks to say so.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.reliability.driver import WorldRun, run_world
from tests.reliability.reference import period_invariants
from tests.reliability.world import generate

SEED = 1
# Two halves, so that two test workers share them: 110 settlements (and 32 more below).
SLICES = {"first": (0, 2, 7), "second": (1, 3, 6)}


@pytest.mark.parametrize("worlds", list(SLICES.values()), ids=list(SLICES))
def test_generated_days_settle_without_creating_or_losing_a_cent(worlds: tuple[int, ...]) -> None:
    reports = [run_world(SEED, n) for n in worlds]
    failures = [f"world {r.world}: {f}" for r in reports for f in r.failures]
    assert not failures, "\n".join(failures)
    assert sum(r.settlements for r in reports) == sum(generate(SEED, n).days for n in worlds)
    # The slice exercises what it claims: late lines, refused re-runs, retried lines.
    assert sum(r.late_lines for r in reports) > 0 and sum(r.refused for r in reports) > 0
    assert sum(r.duplicates for r in reports) > 0 and sum(r.lines_checked for r in reports) > 0


def test_a_day_settled_again_late_after_a_run_that_rounded_everything_to_zero_is_two_runs() -> None:
    """World 1802 of seed 1 (found by the 100,000-settlement run): on 30 August the run's `refer`
    amounts all rounded to zero (a 0.01 sale and a 0.01 refund split three ways), so it saved no
    line; a late 449.44 then settled the day again. Two runs rounded that day, so an account may be
    a cent from the reference on the whole day; counting only runs that saved lines said one."""
    report = run_world(SEED, 1802)
    assert report.failures == [], report.failures
    assert report.late_lines > 0


SMALL = 25  # a world of the seed with few days (8), five rounds of imports and a three-way split


@pytest.fixture
def played(tmp_path: Path):  # type: ignore[no-untyped-def]
    run = WorldRun(generate(SEED, SMALL), tmp_path)
    try:
        run.play()
        assert run.verify() == []
        yield run
    finally:
        run.close()


def _execute(run: WorldRun, sql: str) -> None:
    with run.store.engine.begin() as connection:
        connection.execute(text(sql))


def test_the_checks_catch_a_cent_created_in_a_stored_statement(played: WorldRun) -> None:
    _execute(played, "UPDATE statement_lines SET amount_minor = amount_minor + 1 "
                     "WHERE id = (SELECT min(id) FROM statement_lines WHERE amount_minor <> 0)")
    problems = played.verify()
    assert any("differs from the reference" in p for p in problems), problems
    # The period invariants see it on their own, without the reference's record of the runs.
    assert any("sums to" in p for p in problems), problems


def test_the_checks_catch_a_cent_moved_between_two_accounts(played: WorldRun) -> None:
    # Balanced: the run still sums to zero, but one member gets a cent of another's.
    _execute(played, """
        UPDATE statement_lines SET amount_minor = amount_minor + CASE WHEN id = (SELECT min(id) FROM pair) THEN 1 ELSE -1 END
        WHERE id IN (SELECT id FROM pair)""".replace("pair", """(SELECT id FROM statement_lines WHERE rule_id = 'split'
            AND rate <> 'collected' AND run_id = (SELECT min(run_id) FROM statement_lines WHERE rule_id = 'split'
            AND rate <> 'collected' GROUP BY run_id HAVING count(*) > 1) ORDER BY id LIMIT 2)"""))
    problems = played.verify()
    assert any("differs from the reference" in p for p in problems), problems


def test_the_checks_catch_a_dropped_statement_line(played: WorldRun) -> None:
    _execute(played, "DELETE FROM statement_lines WHERE id = (SELECT max(id) FROM statement_lines)")
    problems = played.verify()
    assert any("expected, not stored" in p for p in problems), problems


def test_the_period_invariants_catch_a_sale_settled_twice(played: WorldRun) -> None:
    # As if a retried line had been stored twice: the statements no longer match the lines.
    doubled = [*played.stored, played.stored[0]]
    rows = {day: played.rows(day) for day in played.runs}
    assert period_invariants(played.agreement, rows, played.stored, played.metrics) == []
    assert period_invariants(played.agreement, rows, doubled, played.metrics) != []


def test_a_failed_world_is_told_at_once_with_the_command_that_replays_it() -> None:
    import io

    from rich.console import Console
    from rich.progress import Progress

    from tests.reliability.__main__ import Ticker
    from tests.reliability.driver import Report

    out = io.StringIO()
    console = Console(file=out, width=200)  # not a terminal: progress as lines
    with Progress(console=console) as progress:
        task = progress.add_task("settling", total=40)
        ticker = Ticker(progress, task, console, 40)
        ticker.advance(Report(SEED, 3), 10)
        ticker.advance(Report(SEED, 4, failures=["world 4: a cent created"]), 30)
    told = out.getvalue()
    assert "FAILED world 4: reproduce with `python -m tests.reliability --seed 1 --world 4`" in told
    assert "FAILED world 3" not in told
    assert "settled 10 of 40" in told and "0 world(s) failed" in told
    assert "settled 40 of 40" in told and "1 world(s) failed" in told


def test_a_run_resumed_from_its_journal_plays_only_the_worlds_it_lacks(tmp_path: Path, monkeypatch) -> None:
    """A long run is stopped and started again; the journal keeps what was played (a line cut short by
    the kill is played again) and the summary counts every world once."""
    import json

    from tests.reliability import __main__ as cli
    from tests.reliability.driver import Report

    played: list[int] = []

    def fake_world(seed: int, number: int) -> Report:  # the worlds themselves are tested above
        played.append(number)
        return Report(seed, number, settlements=cli.world_size(seed, number), lines_checked=1)

    monkeypatch.setattr(cli, "run_world", fake_world)
    journal = tmp_path / "seed1.jsonl"
    wanted = list(cli.plan(SEED, 60))
    assert cli.main(["--settlements", "60", "--seed", "1", "--workers", "1", "--journal", str(journal)]) == 0
    assert played == wanted
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:20])  # the last world killed mid-write
    played.clear()
    assert cli.main(["--settlements", "60", "--seed", "1", "--workers", "1", "--journal", str(journal)]) == 0
    assert played == [wanted[-1]]
    held = [json.loads(line) for line in journal.read_text().splitlines() if line.startswith("{") and line.endswith("}")]
    assert sorted(r["world"] for r in held) == wanted
    played.clear()
    failing = Report(SEED, wanted[0], failures=["a cent created"])
    journal.write_text(journal.read_text() + json.dumps(cli.dataclasses.asdict(failing)) + "\n")
    assert cli.main(["--settlements", "60", "--seed", "1", "--workers", "1", "--journal", str(journal)]) == 1
    assert played == []  # a failure read back from the journal still fails the run
