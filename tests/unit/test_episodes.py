"""Episode need, the core of "no duplicate aid", on plain data."""

import datetime as dt
from decimal import Decimal

from matching.lib.episodes import AidRow, CaseRow, episodes

T0 = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)


def row(id, *, person=1, category="C91", asked="200000", raised="0", awarded="0", rejected=False, blocked=False, day=0):
    return CaseRow(id=id, person_id=person, category=category, submitted_at=T0 + dt.timedelta(days=day),
                   request_amount=Decimal(asked), raised=Decimal(raised), awarded=Decimal(awarded),
                   blocked=blocked, rejected=rejected)  # fmt: skip


def test_one_illness_across_channels_is_one_need_carried_by_the_earliest_case():
    result = episodes(
        [row(1, raised="150000", day=0), row(2, asked="50000", day=3)], [AidRow(Decimal("30000"), 1, 1, "")]
    )
    (episode,) = result
    assert episode.carrier_id == 1 and episode.case_ids == (1, 2)
    assert episode.need == Decimal("20000")


def test_a_rejected_case_asks_for_nothing_but_what_it_received_still_counts():
    rejected = row(1, asked="900000", raised="150000", rejected=True)
    (episode,) = episodes([rejected, row(2, day=3)], [AidRow(Decimal("30000"), 1, 1, "")])
    assert episode.carrier_id == 2 and episode.case_ids == (2,)
    assert episode.asked == Decimal("200000") and episode.need == Decimal("20000")


def test_a_blocked_case_does_not_carry_the_need_when_another_can():
    (episode,) = episodes([row(1, blocked=True), row(2, day=5)], [])
    assert episode.carrier_id == 2


def test_aid_without_a_code_counts_against_every_illness_of_the_person():
    result = episodes(
        [row(1, category="C91"), row(2, category="N18", asked="100000")], [AidRow(Decimal("1000"), None, 1, "")]
    )
    assert {e.carrier_id: e.need for e in result} == {1: Decimal("199000"), 2: Decimal("99000")}


def test_cases_without_a_code_are_episodes_of_their_own():
    assert len(episodes([row(1, category=""), row(2, category="")], [])) == 2


def test_a_cancer_and_its_spread_are_one_illness_and_one_need():
    (episode,) = episodes([row(1, category="C34", asked="300000"), row(2, category="C78", asked="200000", day=20)], [])
    assert episode.case_ids == (1, 2) and episode.asked == Decimal("300000")


def test_a_related_code_shares_the_need_and_what_it_received_but_does_not_raise_it():
    lymphoma = row(1, category="C83", asked="28000", raised="0")
    other_code = row(2, category="C85", asked="50000", raised="10000", day=3)
    (episode,) = episodes([lymphoma, other_code], [])
    assert episode.carrier_id == 1 and episode.need == Decimal("18000")


def test_unrelated_illnesses_of_one_person_are_two_episodes():
    assert len(episodes([row(1, category="C34"), row(2, category="C50", day=5)], [])) == 2


def test_the_same_illness_years_apart_is_a_new_episode():
    result = episodes([row(1, category="C91"), row(2, category="C91", day=1200)], [])
    assert sorted(e.case_ids for e in result) == [(1,), (2,)]


def test_aid_with_a_code_counts_against_the_related_episode_closest_in_time():
    early, late = row(1, category="C91"), row(2, category="C91", day=1200)
    aid = AidRow(Decimal("5000"), None, 1, "C91", on=(T0 + dt.timedelta(days=1100)).date(), id=7)
    by_anchor = {e.anchor_id: e for e in episodes([early, late], [aid])}
    assert by_anchor[2].received == Decimal("5000") and by_anchor[2].aid_ids == (7,)
    assert by_anchor[1].received == 0


def test_an_episode_of_rejected_cases_only_is_kept_for_the_ledger_without_a_carrier():
    rejected = row(1, rejected=True, awarded="1000")
    assert episodes([rejected], []) == []
    (kept,) = episodes([rejected], [], with_rejected=True)
    assert kept.carrier_id is None and kept.awarded == Decimal("1000") and kept.need == 0


def test_a_secondary_tumour_never_bridges_two_primary_cancers():
    lung, spread, breast = row(1, category="C34"), row(2, category="C78", day=5), row(3, category="C50", day=9)
    result = episodes([lung, spread, breast], [])
    assert sorted(e.case_ids for e in result) == [(1, 2), (3,)]
