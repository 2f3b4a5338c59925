"""Issue 19, händelseanalys: when an analysis counts as recorded, and the cause areas."""

from __future__ import annotations

from casetrack.domain.event_analysis import (
    CAUSE_AREA_BY_CODE,
    CAUSE_AREAS,
    NO_AREA,
    area_label,
    missing_for_analysis,
)


def test_a_complete_analysis_lacks_nothing():
    assert missing_for_analysis(events=2, causes_with_area=1, participants=3, completed=True) == []


def test_each_missing_part_is_named_in_order():
    assert missing_for_analysis(events=0, causes_with_area=0, participants=0, completed=False) == [
        "händelseförloppet (minst en händelse)",
        "minst en orsak med orsaksområde",
        "vilka som deltog (minst en deltagare)",
        "datum då utredningen avslutades",
    ]
    assert missing_for_analysis(events=1, causes_with_area=0, participants=1, completed=True) == [
        "minst en orsak med orsaksområde"
    ]
    assert missing_for_analysis(events=1, causes_with_area=1, participants=1, completed=False) == [
        "datum då utredningen avslutades"
    ]


def test_the_seven_cause_areas_have_stable_codes_labels_and_help():
    assert [area.code for area in CAUSE_AREAS] == [
        "kommunikation",
        "kunskap",
        "teknik",
        "rutiner",
        "organisation",
        "omgivning",
        "brukare",
    ]
    assert [area.label for area in CAUSE_AREAS] == [
        "Kommunikation/information",
        "Kunskap/kompetens",
        "Teknik/utrustning",
        "Rutiner/procedurer",
        "Organisation/bemanning",
        "Omgivning",
        "Patient-/brukarrelaterat",
    ]
    assert all(len(area.help) > 30 for area in CAUSE_AREAS)
    assert area_label(None) == NO_AREA == "Ej angivet orsaksområde"
    assert area_label("omgivning") == CAUSE_AREA_BY_CODE["omgivning"].label == "Omgivning"


def test_the_model_check_and_the_migration_allow_exactly_the_domain_codes():
    """The codes are copied into the migration and the model's CHECK (history must not
    change when the list is edited); all three must agree."""
    import re
    from pathlib import Path

    from casetrack.models import InvestigationCause

    codes = {area.code for area in CAUSE_AREAS}
    check = next(
        str(c.sqltext)
        for c in InvestigationCause.__table__.constraints
        if c.name == "area" or str(getattr(c, "name", "")).endswith("area")
    )
    assert set(re.findall(r"'(\w+)'", check)) == codes
    migration = (
        Path(__file__).parents[2] / "migrations/versions/20261208_1120_event_analysis.py"
    ).read_text(encoding="utf-8")
    assert set(re.findall(r"'(\w+)'", migration.split("AREA_CHECK = (")[1].split(")")[0])) == codes
