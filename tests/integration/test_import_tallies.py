"""`casetrack import tallies`: the tertial tables units kept in Excel before casetrack
become imported history on the report page (issue 22).

The seed's "Redovisning av synpunkter och klagomål" (a hemtjänst unit's full year, T1 not
reported) is typed into a workbook here with openpyxl, in the layout the command's
``--template`` writes, and run through the CLI exactly as an operator types it.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from casetrack.domain.report_rows import ROWS, row_key
from casetrack.extensions import db
from casetrack.infra.tally_file import template
from casetrack.models import AuditEntry, HistoricTally

# The seed's table, row label as typed in the seed (wrapped as in Word) → (T1, T2, VB,
# Totalt ack. Utfall); None is an empty cell.
SEED = {
    "Antal beröm": (None, None, 20, 20),
    "Annan (t.ex. okänd)": (None, None, None, None),
    "Brukare/patient": (None, 21, 25, 46),
    "Medarbetare/verksamhet inom \nförvaltningen": (None, None, 53, 53),
    "Närstående (anhörig, god man, \netc.)": (None, 10, 2, 12),
    "Patientnämnden": (None, None, None, None),
    "Samverkanspart (ex annan \nförvaltning, Region Stockholm, \nPolis)": (None, None, 4, 4),
    "Annat (ange vad i \nrapporteringsvyn)": (None, None, None, None),
    "Bemanning (Kontinuitet, \nvikarieanskaffning)": (None, None, 33, 33),
    "Bemötande": (None, None, 10, 10),
    "Beslut (missnöje, avsaknad av \nbeslut, ej kommunicerat etc.)": (None, None, None, None),
    "Brister i information (utebliven \ninfo, obegriplig info, etc.)": (None, None, 18, 18),
    "Brister i rutiner/utförande av \ninsats eller verksamhet": (None, None, 40, 40),
    "Fråga/idé": (None, None, None, None),
    "Fysisk inne- eller utemiljö (ej \nstädat, avsaknad av material \netc.)": (
        None,
        None,
        None,
        None,
    ),
    "Hantering av personuppgifter": (None, None, None, None),
    "Kompetens": (None, None, 3, 3),
    "Mat och måltider": (None, None, None, None),
    "Teknik, verksamhetssystem och \nIT-relaterade frågor": (None, None, 3, 3),
    "Tillgänglighet (öppettider, \ntelefontider, fysisk miljö)": (None, 1, 8, 9),
    "Utebliven/försenad insats eller \naktivitet": (None, None, 10, 10),
    "Lex Maria": (None, None, None, None),
    "Lex Sarah": (None, 0, 4, 4),
    "Antal klagomål där återkoppling \nhar lämnats": (None, 1, 40, 41),
    "Antal klagomål där åtgärder \nvidtagits": (None, 1, 80, 81),
}
VB_2024 = {
    "praise:praise": 20,
    "source:brukare": 25,
    "source:medarbetare": 53,
    "source:narstaende": 2,
    "source:samverkanspart": 4,
    "category:bemanning": 33,
    "category:bemotande": 10,
    "category:information": 18,
    "category:rutiner": 40,
    "category:kompetens": 3,
    "category:teknik": 3,
    "category:tillganglighet": 8,
    "category:utebliven_insats": 10,
    "escalation:lex_sarah": 4,
    "feedback:feedback_given": 40,
    "actions:actions_taken": 80,
}
T2_2024 = {
    "source:brukare": 21,
    "source:narstaende": 10,
    "category:tillganglighet": 1,
    "feedback:feedback_given": 1,
    "actions:actions_taken": 1,
}


def _sheet(workbook, unit="A", year=2024, tertial="VB", rows=None, title=None, first=True):
    """Add a sheet in the template's layout with the seed's figures (or ``rows``)."""
    if first:
        ws = workbook.active
        workbook.remove(ws)
    layout = template(unit, year, tertial).active
    ws = workbook.create_sheet(title or f"{unit} {year} {tertial}")
    for row in layout.iter_rows(values_only=True):
        ws.append(list(row))
    # Rows 7 on: group headings and labels; put the seed's labels and numbers in place.
    figures = dict(SEED if rows is None else rows)
    by_label = {re.sub(r"\s+", " ", label): label for label in figures}
    for cells in ws.iter_rows(min_row=7):
        label = cells[0].value
        if label in by_label:
            cells[0].value = by_label[label]
            for cell, value in zip(cells[1:5], figures[by_label[label]], strict=True):
                cell.value = value
    return ws


def _workbook(**kwargs):
    workbook = template()
    _sheet(workbook, **kwargs)
    return workbook


def _save(workbook, tmp_path, name="tallies.xlsx"):
    path = tmp_path / name
    workbook.save(path)
    return str(path)


def _import(runner, path, *args):
    return runner.invoke(args=["import", "tallies", path, "--by", "Kim Kvalitet", *args])


def _stored():
    db.session.expire_all()
    return sorted(
        db.session.execute(
            sa.select(
                HistoricTally.org_unit_id,
                HistoricTally.year,
                HistoricTally.tertial,
                HistoricTally.row_key,
                HistoricTally.value,
            )
        ).all()
    )


def _audits():
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "report.tallies_imported")
    )


def test_the_seed_labels_are_the_report_rows():
    assert {re.sub(r"\s+", " ", label) for label in SEED} == {row.label for row in ROWS}


def test_the_seeds_table_imports_and_shows_as_history_on_the_report(
    runner, client, auth, org, people, tmp_path
):
    path = _save(_workbook(), tmp_path)
    result = _import(runner, path)
    assert result.exit_code == 0, result.output
    assert "A Enhet A, VB 2024 (ny)" in result.output
    assert "A Enhet A, T2 2024 (ny)" in result.output
    stored = {(t, key): value for _u, _y, t, key, value in _stored()}
    # T1 was not reported (an empty column): nothing stored for it.
    assert {t for t, _ in stored} == {2, 3}
    assert {k: v for (t, k), v in stored.items() if t == 3 and v} == VB_2024
    assert {k: v for (t, k), v in stored.items() if t == 2 and v} == T2_2024
    assert len(stored) == 2 * len(ROWS)  # the empty cells are stored as 0
    assert _audits() == 1
    tally = db.session.scalars(sa.select(HistoricTally)).first()
    assert tally.source_name == "tallies.xlsx" and len(tally.source_sha256) == 64
    assert tally.imported_by == "Kim Kvalitet"

    assert auth.login("q@test.example").status_code == 302
    page = client.get(f"/rapport/?enhet={org['a'].id}&ar=2025&tertial=3").text
    assert "VB 2024 (importerad)" in page
    assert "T2 2024 (importerad)" in page
    assert "T1 2024 (importerad)" not in page
    trend = page[page.index('id="trend"') :]
    brukare = re.search(r"<th scope=\"row\">Brukare/patient</th>(.*?)</tr>", trend, re.S)[1]
    # T1 2024, T2 2024, VB 2024, T1 2025, T2 2025, VB 2025
    assert re.findall(r'<td class="num">(\d+)</td>', brukare) == ["0", "21", "25", "0", "0", "0"]
    comparison = page[page.index('id="jamforelse"') : page.index('id="fordelning"')]
    assert "VB 2024 (importerad)" in comparison
    row = re.search(r"<th scope=\"row\">Antal beröm</th>(.*?)</tr>", comparison, re.S)[1]
    assert re.findall(r'<td class="num">([+-]?\d+)</td>', row) == ["20", "0", "-20"]
    # The avdelning above does not add up its units' imported figures.
    above = client.get(f"/rapport/?enhet={org['dept'].id}&ar=2025&tertial=3").text
    assert "importerad" not in above


def test_importing_the_same_file_twice_changes_nothing(runner, org, tmp_path):
    path = _save(_workbook(), tmp_path)
    assert _import(runner, path).exit_code == 0
    before = _stored()
    again = _import(runner, path)
    assert again.exit_code == 0, again.output
    assert "redan inläst" in again.output
    assert _stored() == before
    assert _audits() == 1


def test_a_dry_run_shows_the_figures_and_stores_nothing(runner, org, tmp_path):
    result = _import(runner, _save(_workbook(), tmp_path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Brukare/patient: 25" in result.output
    assert "Provkörning" in result.output and "Ingenting har lagrats" in result.output
    assert _stored() == []
    assert _audits() == 0


def _changed(label, values):
    rows = dict(SEED)
    key = next(k for k in rows if re.sub(r"\s+", " ", k) == label)
    rows[key] = values
    return rows


def _refused(runner, tmp_path, workbook, *expected, args=()):
    result = _import(runner, _save(workbook, tmp_path), *args)
    assert result.exit_code != 0
    assert "Ingenting har lagrats" in result.output
    for text in expected:
        assert text in result.output, result.output
    assert _stored() == []
    return result


def test_an_unknown_unit_code_is_refused_at_its_cell(runner, org, tmp_path):
    _refused(
        runner,
        tmp_path,
        _workbook(unit="XYZ"),
        "blad 'XYZ 2024 VB', rad 2, kolumn B: Ingen enhet har koden ”XYZ”.",
    )


def test_bad_numbers_are_refused_with_sheet_row_and_column(runner, org, tmp_path):
    rows = _changed("Brukare/patient", (None, "många", -3, 46))
    rows = {**rows, **{k: v for k, v in _changed("Bemötande", (None, None, 2.5, 10)).items()
                       if k == "Bemötande"}}  # fmt: skip
    result = _refused(
        runner,
        tmp_path,
        _workbook(rows=rows),
        "rad 11, kolumn C: ”många” är inte ett heltal",
        "rad 11, kolumn D: -3 är negativt",
    )
    assert "rad 19, kolumn D: ”2.5” är inte ett heltal" in result.output
    assert "summerar" not in result.output  # a bad cell is one problem, not two


def test_a_total_that_does_not_add_up_is_refused(runner, org, tmp_path):
    rows = _changed("Brukare/patient", (None, 21, 25, 47))
    _refused(
        runner,
        tmp_path,
        _workbook(rows=rows),
        "rad 11, kolumn E: Totalt ack. Utfall är 47, men tertialerna summerar till 46.",
    )


def test_unknown_and_missing_row_labels_are_refused(runner, org, tmp_path):
    rows = dict(SEED)
    del rows["Patientnämnden"]
    rows["Brukare/patient"] = (None, 1, 1, 2)
    workbook = _workbook(rows=rows)
    ws = workbook.active
    for cells in ws.iter_rows(min_row=7):
        if cells[0].value == "Patientnämnden":
            cells[0].value = "Patientnämden"
    _refused(
        runner,
        tmp_path,
        workbook,
        "rad 14, kolumn A: ”Patientnämden” är ingen rad i rapporten.",
        "kolumn A: Raden ”Patientnämnden” saknas.",
    )


def test_a_figure_after_the_sheets_tertial_is_refused(runner, org, tmp_path):
    _refused(
        runner,
        tmp_path,
        _workbook(tertial="T2"),
        "rad 8, kolumn D: Bladet gäller Utfall T2, men Utfall VB har en siffra.",
    )


def test_the_same_unit_and_tertial_twice_is_refused(runner, org, tmp_path):
    workbook = _workbook()
    _sheet(workbook, title="Kopia", first=False)
    _refused(
        runner,
        tmp_path,
        workbook,
        "blad 'Kopia', rad 4, kolumn B: A VB 2024 finns redan på bladet 'A 2024 VB'.",
    )


def test_a_tertial_with_cases_in_casetrack_is_refused(runner, org, make, tmp_path):
    make.case(org["a1"], received_on=date(2024, 10, 3))
    db.session.commit()
    _refused(
        runner,
        tmp_path,
        _workbook(),
        "kolumn D: casetrack har redan ärenden för A under Utfall VB 2024.",
    )


def test_a_tertial_that_has_not_ended_is_refused(runner, org, tmp_path):
    _refused(runner, tmp_path, _workbook(year=2100), "Utfall VB 2100 är inte slut.")


def test_different_figures_need_replace(runner, org, tmp_path):
    assert _import(runner, _save(_workbook(), tmp_path)).exit_code == 0
    before = _stored()
    rows = _changed("Brukare/patient", (None, 21, 26, 47))
    path = _save(_workbook(rows=rows), tmp_path, "rattad.xlsx")
    refused = _import(runner, path)
    assert refused.exit_code != 0
    assert "A Utfall VB 2024 är redan inläst med andra siffror" in refused.output
    assert _stored() == before
    replaced = _import(runner, path, "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert "Brukare/patient: 26 (var 25)" in replaced.output
    assert (org["a"].id, 2024, 3, "source:brukare", 26) in _stored()
    assert _audits() == 2


def test_a_file_that_is_not_a_workbook_is_refused(runner, org, tmp_path):
    path = tmp_path / "tallies.xlsx"
    path.write_text("inte excel", encoding="utf-8")
    result = _import(runner, str(path))
    assert result.exit_code != 0
    assert "kan inte läsas som en Excel-fil" in result.output


def test_the_template_is_the_layout_the_import_reads(runner, tmp_path):
    path = tmp_path / "mall.xlsx"
    result = runner.invoke(args=["import", "tallies", "--template", str(path)])
    assert result.exit_code == 0, result.output
    ws = load_workbook(path).active
    labels = [row[0] for row in ws.iter_rows(min_row=7, values_only=True)]
    assert [row.label for row in ROWS] == [label for label in labels if label in
                                          {row.label for row in ROWS}]  # fmt: skip
    assert [c.value for c in ws[6]][:5] == [
        "Uppdelning Klagomål/synpunkter/kategorier",
        "Utfall T1",
        "Utfall T2",
        "Utfall VB",
        "Totalt ack. Utfall",
    ]
    assert row_key(ROWS[0]) == "praise:praise"


@pytest.mark.parametrize("role_email", ["o@test.example"])
def test_imported_history_is_shown_only_in_the_units_scope(
    runner, client, auth, org, people, tmp_path, role_email
):
    assert _import(runner, _save(_workbook(), tmp_path)).exit_code == 0
    assert auth.login(role_email).status_code == 302
    # A handler of enhet B has no report for enhet A: 404, no figures.
    page = client.get(f"/rapport/?enhet={org['a'].id}&ar=2025&tertial=3")
    assert page.status_code == 404
