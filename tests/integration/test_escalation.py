"""Services of issue #4: utredning, lex Sarah / lex Maria steps and who may record them,
IA marking, reclassification, step deadlines and their audit entries."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from casetrack.domain import escalation as rules
from casetrack.domain.errors import DomainError, NotPermitted, StaleCase
from casetrack.extensions import db
from casetrack.models import AuditEntry, Case
from casetrack.queries.cases import any_overdue, deadlines_for
from casetrack.services import classification, handling
from casetrack.services import escalation as service
from casetrack.services import investigation as investigation_service
from casetrack.services import settings as setting_service
from casetrack.web.cases.history import describe

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
SERIOUS = {rules.LEX_SARAH: "allvarligt_missforhallande", rules.LEX_MARIA: "allvarlig_vardskada"}


@pytest.fixture
def case(org, people, make):
    case = make.case(org["a"], by=people["handler"], received_on=date(2026, 3, 2))
    db.session.commit()
    return case


def _audit(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def _started(people, case, track=rules.LEX_SARAH):
    escalation = service.start_track(
        people["handler"], case, track=track, reported_on=date(2026, 3, 2),
        reporter_name="Anna Undersköterska", text="Brukaren lämnades ensam.", now=NOW,
    )  # fmt: skip
    for step, day in ((rules.DOCUMENTED, 3), (rules.INVESTIGATION_STARTED, 4)):
        service.record_step(
            people["handler"], escalation, step=step, occurred_on=date(2026, 3, day),
            text="Gjort.", now=NOW,
        )  # fmt: skip
    return escalation


def test_starting_a_track_records_the_rapport_and_is_audited(people, case):
    escalation = service.start_track(
        people["handler"], case, track=rules.LEX_SARAH, reported_on=date(2026, 3, 2),
        reporter_name="Anna Undersköterska", text="Brukaren lämnades ensam.", now=NOW,
    )  # fmt: skip
    db.session.commit()
    assert [s.step for s in escalation.steps] == [rules.REPORTED]
    assert escalation.steps[0].recorded_by_id == people["handler"].id
    (entry,) = _audit("escalation.started")
    assert entry.case_id == case.id
    assert entry.after == {
        "track": "lex_sarah", "reported_on": "2026-03-02", "reporter_name": "(text)",
    }  # fmt: skip
    (step_entry,) = _audit("escalation.step_recorded")
    assert step_entry.after["step"] == rules.REPORTED


@pytest.mark.parametrize("name", ["", "   ", "Anonym", "okänd"])
def test_a_lex_sarah_rapport_needs_a_named_rapportor(people, case, name):
    with pytest.raises(DomainError) as error:
        service.start_track(
            people["handler"], case, track=rules.LEX_SARAH, reported_on=date(2026, 3, 2),
            reporter_name=name, text="Text", now=NOW,
        )  # fmt: skip
    assert error.value.field == "reporter_name"
    assert "anonym" in error.value.message


def test_a_case_has_one_track_of_each_kind(people, case):
    _started(people, case)
    with pytest.raises(DomainError, match="redan"):
        service.start_track(
            people["manager"], case, track=rules.LEX_SARAH, reported_on=date(2026, 3, 2),
            reporter_name="Bo", text="Igen", now=NOW,
        )  # fmt: skip
    service.start_track(
        people["mas"], case, track=rules.LEX_MARIA, reported_on=date(2026, 3, 2),
        reporter_name="Bo Sjuksköterska", text="Fel läkemedel", now=NOW,
    )  # fmt: skip


def test_new_lex_sarah_report_creates_an_avvikelse_from_medarbetare(people, org):
    case = service.start_lex_sarah_report(
        people["sas"], org_unit_id=org["a"].id, reported_on=date(2026, 3, 2),
        reporter_name="Anna Undersköterska", description="Brukaren fick ingen mat.", now=NOW,
    )  # fmt: skip
    db.session.commit()
    assert (case.kind_code, case.source_code, case.is_anonymous) == (
        "deviation", "medarbetare", False,
    )  # fmt: skip
    assert case.submitter_name == "Anna Undersköterska"
    assert [t.track for t in service.tracks_of(case)] == ["lex_sarah"]
    assert len(_audit("case.registered")) == 1
    assert len(_audit("escalation.started")) == 1


@pytest.mark.parametrize(
    ("role", "may"),
    [
        ("handler", True), ("manager", True), ("sas", True), ("mas", True),
        ("quality", False), ("staff", False), ("other", False),
    ],
)  # fmt: skip
def test_who_may_record_ordinary_steps(people, case, role, may):
    escalation = service.start_track(
        people["handler"], case, track=rules.LEX_SARAH, reported_on=date(2026, 3, 2),
        reporter_name="Anna", text="Text", now=NOW,
    )  # fmt: skip
    if may:
        service.record_step(
            people[role], escalation, step=rules.DOCUMENTED, occurred_on=date(2026, 3, 3),
            text="Dokumenterad i verksamhetssystemet.", now=NOW,
        )  # fmt: skip
        assert _audit("escalation.step_recorded")[-1].actor_id == people[role].id
    else:
        with pytest.raises(NotPermitted):
            service.record_step(
                people[role], escalation, step=rules.DOCUMENTED, occurred_on=date(2026, 3, 3),
                text="Text", now=NOW,
            )  # fmt: skip


@pytest.mark.parametrize(
    ("track", "role", "may"),
    [
        (rules.LEX_SARAH, "manager", True), (rules.LEX_SARAH, "sas", True),
        (rules.LEX_SARAH, "handler", False), (rules.LEX_SARAH, "mas", False),
        (rules.LEX_MARIA, "mas", True), (rules.LEX_MARIA, "manager", False),
        (rules.LEX_MARIA, "sas", False), (rules.LEX_MARIA, "handler", False),
    ],
)  # fmt: skip
def test_who_may_record_the_stallningstagande(people, case, track, role, may):
    escalation = _started(people, case, track)

    def decide():
        return service.record_decision(
            people[role], escalation, decided_on=date(2026, 3, 10), assessment=SERIOUS[track],
            text="Allvarligt.", now=NOW,
        )  # fmt: skip

    if may:
        decide()
        (entry,) = _audit("escalation.decided")
        assert entry.after == {"track": track, "level": SERIOUS[track], "ivo_required": True}
        assert entry.actor_id == people[role].id
    else:
        with pytest.raises(NotPermitted):
            decide()
        assert escalation.is_serious is None


def test_the_whole_lex_sarah_chain_with_anmalan_then_avslutad(people, case):
    escalation = _started(people, case)
    manager, sas = people["manager"], people["sas"]
    service.record_step(
        people["handler"], escalation, step=rules.REMEDY, occurred_on=date(2026, 3, 5),
        text="Rutinen för tillsyn ändrad.", now=NOW,
    )  # fmt: skip
    with pytest.raises(DomainError, match="Registrera först"):
        service.record_step(
            manager, escalation, step=rules.COMPLETED, occurred_on=date(2026, 3, 9),
            text="Klar", now=NOW,
        )  # fmt: skip
    with pytest.raises(DomainError, match="Registrera först ”Ställningstagande”"):
        service.record_ivo_report(
            sas, escalation, reported_on=date(2026, 3, 9), ivo_reference="3.1-1234/2026",
            reported_by=sas, now=NOW,
        )  # fmt: skip
    with pytest.raises(DomainError) as error:
        service.record_decision(
            manager, escalation, decided_on=date(2026, 3, 3),
            assessment="allvarligt_missforhallande", text="För tidigt", now=NOW,
        )  # fmt: skip
    assert error.value.field == "decided_on"  # before the utredning started
    service.record_decision(
        manager, escalation, decided_on=date(2026, 3, 10),
        assessment="allvarligt_missforhallande", text="Allvarligt missförhållande.", now=NOW,
    )  # fmt: skip
    with pytest.raises(DomainError, match="ska det anmälas till IVO"):
        service.record_no_ivo_report(
            sas, escalation, decided_on=date(2026, 3, 11), reason="Vill inte", now=NOW
        )
    with pytest.raises(DomainError, match="innan utredningen avslutas"):
        service.record_step(
            manager, escalation, step=rules.COMPLETED, occurred_on=date(2026, 3, 11),
            text="Klar", now=NOW,
        )  # fmt: skip
    with pytest.raises(NotPermitted):
        service.record_ivo_report(
            people["handler"], escalation, reported_on=date(2026, 3, 11),
            ivo_reference="3.1-1234/2026", reported_by=sas, now=NOW,
        )  # fmt: skip
    with pytest.raises(DomainError) as error:
        service.record_ivo_report(
            sas, escalation, reported_on=date(2026, 3, 11), ivo_reference="3.1-1234/2026",
            reported_by=people["handler"], now=NOW,
        )  # fmt: skip
    assert error.value.field == "reported_by_id"
    service.record_ivo_report(
        sas, escalation, reported_on=date(2026, 3, 11), ivo_reference="3.1-1234/2026",
        reported_by=manager, now=NOW,
    )  # fmt: skip
    with pytest.raises(DomainError, match="redan"):
        service.record_no_ivo_report(
            sas, escalation, decided_on=date(2026, 3, 11), reason="Nej", now=NOW
        )
    service.record_step(
        people["handler"], escalation, step=rules.COMPLETED, occurred_on=date(2026, 3, 16),
        text="Utredningen klar.", now=NOW,
    )  # fmt: skip
    service.record_step(
        people["handler"], escalation, step=rules.PERSON_INFORMED,
        occurred_on=date(2026, 3, 17), text="Brukaren informerad vid hembesök.", now=NOW,
    )  # fmt: skip
    db.session.commit()
    assert escalation.ivo_reference == "3.1-1234/2026"
    assert escalation.ivo_reported_by_id == manager.id
    assert escalation.completed_on == date(2026, 3, 16)
    (entry,) = _audit("escalation.ivo_reported")
    assert entry.after["ivo_reference"] == "3.1-1234/2026"
    assert [s.step for s in escalation.steps][-3:] == [
        rules.IVO_REPORT, rules.COMPLETED, rules.PERSON_INFORMED,
    ]  # fmt: skip


def test_no_anmalan_needs_a_reason_and_a_decider(people, case):
    escalation = _started(people, case)
    service.record_decision(
        people["sas"], escalation, decided_on=date(2026, 3, 10),
        assessment="risk_missforhallande", text="Påtaglig risk, inte allvarlig.", now=NOW,
    )  # fmt: skip
    with pytest.raises(DomainError) as error:
        service.record_no_ivo_report(
            people["sas"], escalation, decided_on=date(2026, 3, 10), reason=" ", now=NOW
        )
    assert error.value.field == "reason"
    service.record_no_ivo_report(
        people["sas"], escalation, decided_on=date(2026, 3, 10),
        reason="Inte allvarligt; risken är undanröjd.", now=NOW,
    )  # fmt: skip
    assert escalation.no_ivo_report_reason.startswith("Inte allvarligt")


@pytest.mark.parametrize("track", rules.TRACKS)
def test_the_stallningstagande_is_one_level_of_the_tracks_own_scale(people, case, track):
    escalation = _started(people, case, track)
    decider = people["sas" if track == rules.LEX_SARAH else "mas"]
    other_scale = "vardskada" if track == rules.LEX_SARAH else "missforhallande"
    for wrong in (None, "", "allvarligt", other_scale):
        with pytest.raises(DomainError) as error:
            service.record_decision(
                decider, escalation, decided_on=date(2026, 3, 10), assessment=wrong,
                text="Motivering.", now=NOW,
            )  # fmt: skip
        assert error.value.field == "assessment"
    assert escalation.assessment is None and escalation.is_serious is None
    assert not [s for s in escalation.steps if s.step == rules.DECISION]


@pytest.mark.parametrize(
    ("level", "serious"),
    [(code, code in rules.SERIOUS_ASSESSMENTS) for code, _ in rules.ASSESSMENTS[rules.LEX_SARAH]],
)
def test_only_the_two_serious_lex_sarah_levels_require_the_ivo_step(people, case, level, serious):
    escalation = _started(people, case)
    sas = people["sas"]
    service.record_decision(
        sas, escalation, decided_on=date(2026, 3, 10), assessment=level, text="Motiverat.",
        now=NOW,
    )  # fmt: skip
    assert escalation.assessment == level
    assert escalation.is_serious is serious
    if serious:
        # Neither "ingen anmälan" nor closing the utredning: the anmälan is required.
        with pytest.raises(DomainError, match="ska det anmälas till IVO"):
            service.record_no_ivo_report(
                sas, escalation, decided_on=date(2026, 3, 11), reason="Nej", now=NOW
            )
        with pytest.raises(DomainError, match="Registrera anmälan till IVO innan"):
            service.record_step(
                sas, escalation, step=rules.COMPLETED, occurred_on=date(2026, 3, 11),
                text="Klar", now=NOW,
            )  # fmt: skip
    else:
        with pytest.raises(DomainError, match="när ställningstagandet är att det är allvarligt"):
            service.record_ivo_report(
                sas, escalation, reported_on=date(2026, 3, 11), ivo_reference="3.1-1/2026",
                reported_by=sas, now=NOW,
            )  # fmt: skip
        service.record_step(
            sas, escalation, step=rules.COMPLETED, occurred_on=date(2026, 3, 11), text="Klar",
            now=NOW,
        )  # fmt: skip
        assert escalation.completed_on == date(2026, 3, 11)


def test_lex_maria_records_handelseanalys_and_patient_information(people, case):
    escalation = _started(people, case, rules.LEX_MARIA)
    mas = people["mas"]
    for step, day, text in (
        (rules.EVENT_ANALYSIS, 9, "Händelseanalys: dubbelkontroll saknades."),
        (rules.PATIENT_NOT_INFORMED, 9, "Patienten är inte kontaktbar; närstående informeras."),
    ):
        service.record_step(
            mas, escalation, step=step, occurred_on=date(2026, 3, day), text=text, now=NOW
        )
    with pytest.raises(DomainError, match="redan registrerat om patienten"):
        service.record_step(
            mas, escalation, step=rules.PATIENT_INFORMED, occurred_on=date(2026, 3, 10),
            text="Ja", now=NOW,
        )  # fmt: skip
    service.record_decision(
        mas, escalation, decided_on=date(2026, 3, 12), assessment="allvarlig_vardskada",
        text="Allvarlig vårdskada.", now=NOW,
    )  # fmt: skip
    service.record_ivo_report(
        mas, escalation, reported_on=date(2026, 3, 13), ivo_reference="3.2-99/2026",
        reported_by=mas, now=NOW,
    )  # fmt: skip
    assert escalation.ivo_reported_by_id == mas.id


def test_steps_refuse_future_and_stale_versions(people, case):
    escalation = _started(people, case)
    with pytest.raises(DomainError) as error:
        service.record_step(
            people["handler"], escalation, step=rules.REMEDY, occurred_on=date(2026, 3, 21),
            text="Framtid", now=NOW,
        )  # fmt: skip
    assert error.value.field == "occurred_on"
    with pytest.raises(StaleCase):
        service.record_step(
            people["handler"], escalation, step=rules.REMEDY, occurred_on=date(2026, 3, 5),
            text="Gammal sida", expected_version=case.version - 1, now=NOW,
        )  # fmt: skip


def test_investigation_causes_and_an_action_linked_to_a_cause(people, case, org, make):
    handler = people["handler"]
    with pytest.raises(DomainError) as error:
        investigation_service.save_investigation(
            handler, case, started_on=None, what_happened="x", assessment=None,
            conclusion=None, completed_on=date(2026, 3, 10), now=NOW,
        )  # fmt: skip
    assert error.value.field == "started_on"
    investigation_service.save_investigation(
        handler, case, started_on=date(2026, 3, 3), what_happened="Larmet gick inte fram.",
        assessment=None, conclusion=None, completed_on=None, now=NOW,
    )  # fmt: skip
    cause = investigation_service.add_cause(handler, case, "Larmet var inte testat.", now=NOW)
    action = handling.add_action(
        handler, case, description="Testa larmen varje vecka", responsible="Lena",
        cause_id=cause.id, now=NOW,
    )  # fmt: skip
    assert action.cause_id == cause.id
    other_case = make.case(org["a"], by=handler)
    other_cause = investigation_service.add_cause(handler, other_case, "Annan orsak", now=NOW)
    with pytest.raises(DomainError) as error:
        handling.add_action(
            handler, case, description="x", responsible="y", cause_id=other_cause.id, now=NOW
        )
    assert error.value.field == "cause_id"
    (created,) = _audit("investigation.created")
    assert created.after == {"started_on": "2026-03-03", "what_happened": "(text)"}
    assert len(_audit("cause.added")) == 2
    assert _audit("action.added")[0].after["cause_id"] == cause.id
    with pytest.raises(NotPermitted):
        investigation_service.add_cause(people["quality"], case, "Nej", now=NOW)


def test_ia_marking_is_audited_and_shown_in_the_history(people, case):
    with pytest.raises(DomainError) as error:
        classification.mark_ia(
            people["handler"], case, reported_on=date(2026, 3, 4), reference=" ", now=NOW
        )
    assert error.value.field == "ia_reference"
    classification.mark_ia(
        people["handler"], case, reported_on=date(2026, 3, 4), reference="IA-2026-77", now=NOW
    )
    db.session.commit()
    assert (case.ia_reported_on, case.ia_reference) == (date(2026, 3, 4), "IA-2026-77")
    (entry,) = _audit("case.ia_marked")
    assert entry.after == {"ia_reported_on": "2026-03-04", "ia_reference": "IA-2026-77"}
    with pytest.raises(NotPermitted):
        classification.mark_ia(
            people["sas"], case, reported_on=date(2026, 3, 4), reference="IA-1", now=NOW
        )


def test_ia_cases_are_excluded_from_the_lex_rows(people, case, org, make):
    """The report (built elsewhere) counts lex cases without an IA marking: the data
    keeps exactly that shape."""
    ia_case = make.case(org["a"], by=people["handler"], kind_code="deviation")
    for each in (case, ia_case):
        _started(people, each)
    classification.mark_ia(
        people["handler"], ia_case, reported_on=date(2026, 3, 4), reference="IA-1", now=NOW
    )
    db.session.commit()
    from casetrack.models import Escalation

    counted = db.session.scalars(
        sa.select(Case.id)
        .join(Escalation, Escalation.case_id == Case.id)
        .where(Escalation.track == "lex_sarah", Case.ia_reported_on.is_(None))
    ).all()
    assert counted == [case.id]


def test_reclassification_keeps_the_original_kind_in_the_history(people, case):
    assert case.kind_code == "complaint"
    classification.change_kind(people["handler"], case, "deviation", now=NOW)
    with pytest.raises(DomainError, match="redan"):
        classification.change_kind(people["handler"], case, "deviation", now=NOW)
    with pytest.raises(DomainError):
        classification.change_kind(people["handler"], case, "okand", now=NOW)
    with pytest.raises(NotPermitted):
        classification.change_kind(people["quality"], case, "suggestion", now=NOW)
    classification.change_kind(people["manager"], case, "suggestion", now=NOW)
    db.session.commit()
    entries = _audit("case.reclassified")
    assert [(e.before, e.after) for e in entries] == [
        ({"kind_code": "complaint"}, {"kind_code": "deviation"}),
        ({"kind_code": "deviation"}, {"kind_code": "suggestion"}),
    ]
    lines = describe(_audit("case.registered") + entries)
    assert "ärendetyp: Klagomål" in lines[0].details
    assert lines[1].details == ["ändrade ärendetyp från Klagomål till Avvikelse"]
    assert lines[2].details == ["ändrade ärendetyp från Avvikelse till Synpunkt"]


def test_step_deadlines_show_on_the_case_and_count_as_overdue(people, case):
    escalation = service.start_track(
        people["handler"], case, track=rules.LEX_SARAH, reported_on=date(2026, 6, 18),
        reporter_name="Anna", text="Text", now=datetime(2026, 6, 18, 10, tzinfo=UTC),
    )  # fmt: skip
    db.session.commit()
    labels = {d.label: d for d in deadlines_for(case, date(2026, 6, 22), False)}
    documented = labels["Lex Sarah: Rapporten dokumenterad"]
    assert documented.due == date(2026, 6, 22)  # over midsommarafton and the weekend
    assert not documented.overdue
    started = labels["Lex Sarah: Utredning påbörjad"]
    assert started.due == date(2026, 6, 23)

    def overdue_on(day):
        return db.session.scalars(sa.select(Case.id).where(any_overdue(day))).all()

    # Nothing else is late: the complaint itself was received on 2 March, so look only
    # at the lex clause by giving the case återkoppling.
    handling.give_feedback(
        people["handler"], case, given_on=date(2026, 3, 3), given_to="Dottern",
        method="telefon", summary="Svar", now=datetime(2026, 3, 3, tzinfo=UTC),
    )  # fmt: skip
    db.session.commit()
    assert overdue_on(date(2026, 6, 22)) == []
    assert overdue_on(date(2026, 6, 23)) == [case.id]
    assert labels["Lex Sarah: Ställningstagande"].due == date(2026, 7, 3)

    setting_service.set_setting(people["sas"], "deadline.lex_sarah.dokumenterad", "3")
    db.session.commit()
    labels = {d.label: d for d in deadlines_for(case, date(2026, 6, 23), False)}
    assert labels["Lex Sarah: Rapporten dokumenterad"].due == date(2026, 6, 24)
    (entry,) = _audit("setting.changed")
    assert entry.after == {"key": "deadline.lex_sarah.dokumenterad", "value": "3"}

    service.record_step(
        people["handler"], escalation, step=rules.DOCUMENTED, occurred_on=date(2026, 6, 22),
        text="Gjort", now=datetime(2026, 6, 22, 10, tzinfo=UTC),
    )  # fmt: skip
    service.record_step(
        people["handler"], escalation, step=rules.INVESTIGATION_STARTED,
        occurred_on=date(2026, 6, 22), text="Gjort", now=datetime(2026, 6, 22, 10, tzinfo=UTC),
    )  # fmt: skip
    db.session.commit()
    assert overdue_on(date(2026, 6, 23)) == []
    assert case.id in overdue_on(date(2026, 7, 6))  # ställningstagande is late


def test_anmalan_deadline_counts_from_a_serious_stallningstagande(people, case):
    escalation = _started(people, case)
    service.record_decision(
        people["sas"], escalation, decided_on=date(2026, 3, 10),
        assessment="risk_allvarligt_missforhallande", text="Allvarligt.", now=NOW,
    )  # fmt: skip
    db.session.commit()
    labels = {d.label: d for d in deadlines_for(case, date(2026, 3, 25), False)}
    assert labels["Lex Sarah: Anmälan till IVO"].due == date(2026, 3, 24)
    assert labels["Lex Sarah: Anmälan till IVO"].overdue


@pytest.mark.parametrize("track", rules.TRACKS)
def test_a_serious_stallningstagande_keeps_the_case_open_until_ivo_has_its_anmalan(
    people, case, track
):
    escalation = _started(people, case, track)
    decider = people["sas" if track == rules.LEX_SARAH else "mas"]
    service.record_decision(
        decider, escalation, decided_on=date(2026, 3, 10), assessment=SERIOUS[track],
        text="Allvarligt.", now=NOW,
    )  # fmt: skip

    def close():
        handling.close_case(
            people["handler"], case, no_feedback_reason="anonym", source_code="brukare",
            category_codes=["bemotande"], now=NOW,
        )  # fmt: skip

    with pytest.raises(DomainError, match="anmälan till IVO ska registreras"):
        close()
    assert case.closed_at is None
    service.record_ivo_report(
        decider, escalation, reported_on=date(2026, 3, 11), ivo_reference="3.1-77/2026",
        reported_by=decider, now=NOW,
    )  # fmt: skip
    close()
    assert case.closed_at is not None


def test_a_lower_level_does_not_hold_the_case_open(people, case):
    escalation = _started(people, case)
    service.record_decision(
        people["sas"], escalation, decided_on=date(2026, 3, 10), assessment="missforhallande",
        text="Missförhållande, inte allvarligt.", now=NOW,
    )  # fmt: skip
    handling.close_case(
        people["handler"], case, no_feedback_reason="anonym", source_code="brukare",
        category_codes=["bemotande"], now=NOW,
    )  # fmt: skip
    assert case.closed_at is not None
