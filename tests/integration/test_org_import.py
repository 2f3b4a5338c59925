"""`casetrack org import`: the dry run, applying, refusing a bad file, and the tree's
history, so that a reorganisation leaves last year's report as it was (issue 18).

Every import runs through the CLI runner exactly as an operator types it.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from casetrack.domain.report_rows import ROWS, row_key
from casetrack.domain.roles import Role
from casetrack.extensions import db
from casetrack.models import AuditEntry, Case, OrgUnit, OrgUnitPeriod, Status
from casetrack.queries.cases import CaseFilter, filtered
from casetrack.queries.report import build_report
from casetrack.services import admin as admin_service


@pytest.fixture
def tree(make):
    """ROOT → A1, A2 (avdelningar); B and C under A1, D under A2."""
    root = make.unit("Förvaltningen", level="forvaltning", code="ROOT")
    a1 = make.unit("Avdelning 1", parent=root, level="avdelning", code="A1")
    a2 = make.unit("Avdelning 2", parent=root, level="avdelning", code="A2")
    b = make.unit("Enhet B", parent=a1, code="B")
    c = make.unit("Enhet C", parent=a1, code="C")
    d = make.unit("Enhet D", parent=a2, code="D")
    db.session.commit()
    return {"root": root, "a1": a1, "a2": a2, "b": b, "c": c, "d": d}


FILE_HEAD = "code;name;parent_code;level\n"
SAME = FILE_HEAD + (
    "ROOT;Förvaltningen;;forvaltning\n"
    "A1;Avdelning 1;ROOT;avdelning\n"
    "A2;Avdelning 2;ROOT;avdelning\n"
    "B;Enhet B;A1;enhet\n"
    "C;Enhet C;A1;enhet\n"
    "D;Enhet D;A2;enhet\n"
)
# B moves to A2 and is renamed, C is not in the file (closed), E is new under A2.
REORGANISED = FILE_HEAD + (
    "ROOT;Förvaltningen;;forvaltning\n"
    "A1;Avdelning 1;ROOT;avdelning\n"
    "A2;Avdelning 2;ROOT;avdelning\n"
    "B;Enhet B Bägaren;A2;enhet\n"
    "D;Enhet D;A2;enhet\n"
    "E;Enhet E;A2;\n"
)


def _write(tmp_path, text: str, name: str = "organisation.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _state():
    db.session.expire_all()
    units = db.session.execute(
        sa.select(
            OrgUnit.code, OrgUnit.name, OrgUnit.parent_id, OrgUnit.level, OrgUnit.active
        ).order_by(OrgUnit.code)
    ).all()
    periods = db.session.scalar(sa.select(sa.func.count()).select_from(OrgUnitPeriod))
    audits = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    return units, periods, audits


def test_a_dry_run_prints_the_difference_and_changes_nothing(runner, tree, make, tmp_path):
    make.case(tree["b"], received_on=date(2026, 3, 2))
    make.case(tree["c"], received_on=date(2026, 3, 3))
    done = make.case(tree["c"], received_on=date(2026, 3, 4))
    done.status_code = db.session.scalar(sa.select(Status.code).where(Status.type == "closed"))
    db.session.commit()
    before = _state()
    result = runner.invoke(args=["org", "import", _write(tmp_path, REORGANISED)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Nya enheter (1):" in out
    assert "+ E  Enhet E (enhet) under A2 Avdelning 2" in out
    assert "Nytt namn (1):" in out and "~ B  Enhet B → Enhet B Bägaren" in out
    assert "Flyttade (1):" in out
    assert (
        "→ B  Enhet B Bägaren: från A1 Avdelning 1 till A2 Avdelning 2  "
        "(1 öppna ärenden, 1 ärenden totalt)"
    ) in out
    assert "Stängs (1):" in out and "× C  Enhet C: finns inte i filen" in out
    assert "× C  Enhet C: finns inte i filen  (1 öppna ärenden, 2 ärenden totalt)" in out
    assert "Oförändrade: 4 enheter" in out
    assert "provkörning: ingenting har ändrats" in out
    assert _state() == before


def test_apply_makes_every_change_in_one_audited_transaction(runner, tree, make, tmp_path):
    case = make.case(tree["c"], received_on=date(2026, 3, 3))
    db.session.commit()
    result = runner.invoke(
        args=["org", "import", _write(tmp_path, REORGANISED), "--apply",
              "--effective-date", "2026-09-01"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Klart: 4 ändringar är genomförda" in result.output
    db.session.expire_all()
    units = {u.code: u for u in db.session.scalars(sa.select(OrgUnit))}
    assert (units["B"].name, units["B"].parent_id) == ("Enhet B Bägaren", tree["a2"].id)
    assert (units["E"].parent_id, units["E"].level, units["E"].active) == (
        tree["a2"].id, "enhet", True,
    )  # fmt: skip
    # C is closed, not deleted: it keeps its place and its case.
    assert (units["C"].active, units["C"].closed_on) == (False, date(2026, 9, 1))
    assert units["C"].parent_id == tree["a1"].id
    assert db.session.get(Case, case.id).org_unit_id == units["C"].id
    # B's history: under A1 until the effective date, under A2 from it.
    periods = db.session.execute(
        sa.select(OrgUnitPeriod.parent_id, OrgUnitPeriod.name, OrgUnitPeriod.valid_from,
                  OrgUnitPeriod.valid_to)
        .where(OrgUnitPeriod.org_unit_id == units["B"].id).order_by(OrgUnitPeriod.id)
    ).all()  # fmt: skip
    assert periods == [
        (tree["a1"].id, "Enhet B", None, date(2026, 9, 1)),
        (tree["a2"].id, "Enhet B Bägaren", date(2026, 9, 1), None),
    ]
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.actor_label == "organisationsimport")
    ).all()
    by_action = sorted((e.action, e.entity_id) for e in entries)
    assert by_action == sorted([
        ("unit.created", units["E"].id),
        ("unit.updated", units["B"].id),
        ("unit.closed", units["C"].id),
        ("org.imported", None),
    ])  # fmt: skip
    moved = next(e for e in entries if e.entity_id == units["B"].id)
    assert moved.before == {"name": "Enhet B", "parent": "A1"}
    assert moved.after == {"name": "Enhet B Bägaren", "parent": "A2"}
    summary = next(e for e in entries if e.action == "org.imported")
    assert summary.after["new"] == 1 and summary.after["closed"] == 1
    assert summary.after["effective"] == "2026-09-01"
    # Applied once, the file and the tree agree.
    again = runner.invoke(args=["org", "import", _write(tmp_path, REORGANISED)])
    assert "Trädet stämmer redan med filen" in again.output


@pytest.mark.parametrize(
    ("rows", "messages"),
    [
        ("ROOT;Förvaltningen;;\nA1;Avdelning 1;ROOT;\nX;Enhet X;NOPE;\n",
         ["rad 4: den överordnade enheten NOPE (för X) finns inte i filen"]),
        ("ROOT;Förvaltningen;;\nA1;Avdelning 1;B;\nB;Enhet B;C;\nC;Enhet C;A1;\n",
         ["rad 3: enheterna ligger under varandra i en ring: A1 → B → C → A1"]),
        ("ROOT;Förvaltningen;;\nA1;Avdelning 1;ROOT;\nA1;Avdelning igen;ROOT;\n",
         ["rad 4: koden A1 finns redan på rad 3"]),
        ("ROOT;Förvaltningen;;\nA1;Avdelning 1;ROOT;sektion\n",
         ["rad 3: okänd nivå sektion (ska vara forvaltning, avdelning, enhet, verksamhet "
          "eller arbetsgrupp)"]),
        ("ROOT;Förvaltningen;;\nA1;;ROOT;\nÅ1;Enhet;ROOT;\n",
         ["rad 3: namnet saknas för A1",
          "rad 4: koden Å1 får bara innehålla bokstäver A–Z, siffror, - och _"]),
    ],
    ids=["unknown-parent", "cycle", "duplicate-code", "bad-level", "empty-name-bad-code"],
)  # fmt: skip
def test_a_bad_file_is_refused_with_its_lines_and_nothing_changes(
    runner, tree, tmp_path, rows, messages
):
    before = _state()
    result = runner.invoke(args=["org", "import", _write(tmp_path, FILE_HEAD + rows), "--apply"])
    assert result.exit_code == 1
    assert "Filen har fel. Ingenting har ändrats." in result.output
    for message in messages:
        assert message in result.output
    assert "Klart" not in result.output
    assert _state() == before


def test_a_file_without_the_columns_is_refused(runner, tree, tmp_path):
    result = runner.invoke(args=["org", "import", _write(tmp_path, "kod,namn\nA,B\n")])
    assert result.exit_code == 1
    assert "Filen saknar kolumnen parent_code" in result.output


def test_a_change_dated_before_the_last_one_rolls_everything_back(runner, tree, tmp_path):
    path = _write(tmp_path, REORGANISED)
    runner.invoke(args=["org", "import", path, "--apply", "--effective-date", "2026-09-01"])
    before = _state()
    back = SAME.replace("D;Enhet D;A2;enhet\n", "D;Enhet D;A1;enhet\n")
    result = runner.invoke(
        args=["org", "import", _write(tmp_path, back, "back.csv"), "--apply",
              "--effective-date", "2026-08-01"]
    )  # fmt: skip
    assert result.exit_code == 1
    assert "kan inte börja före det datumet" in result.output
    assert _state() == before


def test_xlsx_and_json_files_give_the_same_difference(runner, tree, tmp_path):
    rows = [line.split(";") for line in REORGANISED.strip().splitlines()]
    book = Workbook()
    for row in rows:
        book.active.append([cell or None for cell in row])
    book.save(tmp_path / "organisation.xlsx")
    units = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    (tmp_path / "organisation.json").write_text(json.dumps({"units": units}), encoding="utf-8")
    outputs = []
    for name in ("organisation.csv", "organisation.xlsx", "organisation.json"):
        if name.endswith(".csv"):
            _write(tmp_path, REORGANISED)
        result = runner.invoke(args=["org", "import", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        outputs.append(result.output.split("\n", 1)[1])  # after the file's name
    assert outputs[0] == outputs[1] == outputs[2]


def test_an_explicitly_closed_unit_and_a_valid_from_date(runner, tree, tmp_path):
    text = (
        "code,name,parent_code,closed,valid_from\n"
        "ROOT,Förvaltningen,,,\nA1,Avdelning 1,ROOT,,\nA2,Avdelning 2,ROOT,,\n"
        "B,Enhet B,A1,,\nC,Enhet C,A1,ja,2026-06-30\nD,Enhet D,A1,nej,2026-05-01\n"
    )
    result = runner.invoke(args=["org", "import", _write(tmp_path, text), "--apply"])
    assert result.exit_code == 0, result.output
    assert "× C  Enhet C: markerad som stängd i filen" in result.output
    db.session.expire_all()
    c = db.session.get(OrgUnit, tree["c"].id)
    assert (c.active, c.closed_on) == (False, date(2026, 6, 30))
    start = db.session.scalar(
        sa.select(OrgUnitPeriod.valid_from).where(
            OrgUnitPeriod.org_unit_id == tree["d"].id, OrgUnitPeriod.valid_to.is_(None)
        )
    )
    assert start == date(2026, 5, 1)


# --- the report keeps the tree of its time ------------------------------------------------


def _figures(report):
    return (
        [
            (r.key, {t: (c.live, c.frozen) for t, c in r.cells.items()}, r.total,
             r.previous_year, r.trend)
            for r in report.rows
        ],
        report.quality,
    )  # fmt: skip


def _cases_for(tree, make):
    """2025: cases in B (A1's) and C and D; 2026: cases in B after the move."""
    for day, source, categories in [
        (date(2025, 2, 3), "brukare", ["bemotande"]),
        (date(2025, 6, 9), "narstaende", ["mat", "bemanning"]),
        (date(2025, 10, 1), "brukare", []),
    ]:
        make.case(tree["b"], received_on=day, source_code=source, category_codes=categories)
    make.case(tree["b"], received_on=date(2025, 11, 5), kind_code="praise")
    make.case(tree["c"], received_on=date(2025, 3, 4), source_code="annan",
              category_codes=["kompetens"])  # fmt: skip
    make.case(tree["d"], received_on=date(2025, 4, 1), source_code="brukare")
    make.case(tree["b"], received_on=date(2026, 2, 10), source_code="brukare",
              category_codes=["mat"])  # fmt: skip
    db.session.commit()


def _value(report, key: str, tertial: int) -> int:
    return next(r for r in report.rows if r.key == key).cells[tertial].live


def test_a_reorganisation_keeps_last_years_report_cell_for_cell(runner, tree, make, tmp_path):
    """B moves from A1 to A2 on 1 January 2026: A1's 2025 report is unchanged and still
    counts B's 2025 cases; from 2026 on B's cases count under A2."""
    _cases_for(tree, make)
    a1_2025 = _figures(build_report(tree["a1"], 2025, 3))
    a2_2025 = _figures(build_report(tree["a2"], 2025, 3))
    root_2025 = _figures(build_report(tree["root"], 2025, 3))
    assert _value(build_report(tree["a1"], 2025, 3), "source:brukare", 1) == 1  # B's
    moved = SAME.replace("B;Enhet B;A1;enhet", "B;Enhet B;A2;enhet")
    result = runner.invoke(
        args=["org", "import", _write(tmp_path, moved), "--apply",
              "--effective-date", "2026-01-01"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "(5 öppna ärenden, 5 ärenden totalt)" in result.output
    db.session.expire_all()
    assert db.session.get(OrgUnit, tree["b"].id).parent_id == tree["a2"].id

    a1 = build_report(tree["a1"], 2025, 3)
    assert _figures(a1) == a1_2025
    assert _figures(build_report(tree["a2"], 2025, 3)) == a2_2025
    assert _figures(build_report(tree["root"], 2025, 3)) == root_2025
    assert _value(a1, "praise:praise", 3) == 1  # B's beröm of November 2025
    # 2026: B's case is A2's; the year before (2025 T1) is still counted with 2025's tree.
    a1_2026, a2_2026 = build_report(tree["a1"], 2026, 1), build_report(tree["a2"], 2026, 1)
    assert _value(a1_2026, "source:brukare", 1) == 0
    assert _value(a2_2026, "source:brukare", 1) == 1
    row = next(r for r in a1_2026.rows if r.key == "source:brukare")
    assert row.previous_year == 1  # B's case of February 2025, under A1 then
    assert next(r for r in a2_2026.rows if r.key == "source:brukare").previous_year == 1  # D

    # Every figure's list has exactly that many cases (a reader who sees the whole tree).
    quality = make.user([(Role.QUALITY, tree["root"])])
    for key in [row_key(r) for r in ROWS]:
        for tertial in (1, 2, 3):
            start = date(2025, (tertial - 1) * 4 + 1, 1)
            end = date(2025, 4, 30) if tertial == 1 else (
                date(2025, 8, 31) if tertial == 2 else date(2025, 12, 31)
            )  # fmt: skip
            listed = db.session.scalar(
                sa.select(sa.func.count()).select_from(
                    filtered(
                        quality,
                        CaseFilter(unit_id=tree["a1"].id, received_from=start,
                                   received_to=end, report_row=key),
                        date(2026, 12, 1),
                    ).subquery()
                )
            )  # fmt: skip
            assert listed == _value(a1, key, tertial), (key, tertial)


def test_a_report_over_a_move_within_the_range_counts_each_case_by_its_date(
    runner, tree, make, tmp_path
):
    """A move on 1 July 2025, in the middle of T2: B's case of June counts under A1,
    its case of October under A2, in the same report."""
    _cases_for(tree, make)
    moved = SAME.replace("B;Enhet B;A1;enhet", "B;Enhet B;A2;enhet")
    result = runner.invoke(
        args=["org", "import", _write(tmp_path, moved), "--apply",
              "--effective-date", "2025-07-01"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    a1, a2 = build_report(tree["a1"], 2025, 3), build_report(tree["a2"], 2025, 3)
    assert _value(a1, "source:narstaende", 2) == 1  # 9 June, before the move
    assert _value(a1, "source:brukare", 3) == 0
    assert _value(a2, "source:brukare", 3) == 1  # 1 October, after it
    assert _value(a2, "praise:praise", 3) == 1


def test_the_admin_unit_edit_writes_the_history_too(tree, make):
    make.case(tree["b"], received_on=date(2025, 2, 3), source_code="brukare")
    db.session.commit()
    before = _figures(build_report(tree["a1"], 2025, 3))
    admin = make.user([(Role.ADMIN, tree["root"])])
    b = db.session.get(OrgUnit, tree["b"].id)
    admin_service.update_unit(
        admin, b, name="Enhet B", parent_id=tree["a2"].id, reference_prefix=None, active=True,
        effective=date(2026, 1, 1),
    )  # fmt: skip
    db.session.commit()
    assert _figures(build_report(tree["a1"], 2025, 3)) == before
    assert _value(build_report(tree["a2"], 2025, 3), "source:brukare", 1) == 0
