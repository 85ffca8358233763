"""Recognising people across cases, channels and organisations.

A valid identity number settles who a patient is (through its keyed hash). Without one, or with
a mistyped one, a case is compared with the cases that share a blocking key with it, and the
resolver (`cases.lib.linkage`: scikit-learn over pairwise evidence, taught by the pairs whose
identity numbers agree or differ) says how likely each is the same person. Above the threshold
the case joins that person; in the uncertain band a case worker decides (`IdentityReview`);
below it the patient is someone new. Case workers' decisions bind every later resolution.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from cases.errors import CaseError
from cases.lib import idnumber, linkage
from cases.lib.icd10 import Icd10Error, category, normalise
from cases.models import AidRecord, Case, IdentityReview, MatchKey, Person, ResolutionModel
from cases.services.events import event_log
from cases.services.sql import execute_update as _execute_update

logger = logging.getLogger(__name__)

PROBABILITY_PLACES = Decimal("0.0001")
# At intake a case is compared with at most this many earlier cases (the closest by key count).
MAX_CANDIDATES = 200
MOVE_CHUNK = 5000  # ids per statement when rows are moved or deleted by id (SQLite allows 32,766 variables)
_RECORD_FIELDS = (
    "id", "person_id", "patient_name", "patient_birth_date", "patient_sex", "patient_province", "patient_city",
    "patient_phone_hash", "patient_id_number", "icd10", "diagnosis__icd10_given", "diagnosis__hospital",
)  # fmt: skip


def _hmac(key: str, value: str) -> str:
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def id_hash(number: str) -> str:
    """The hash of a normalised identity number under the current key: what new rows store.

    Hashes are HMAC-SHA256 under settings.ID_HASH_KEYS. New hashes use the first (current) key;
    a lookup tries every configured key (`id_hashes`), so rows hashed before a rotation are still
    found until `manage.py rotate_keys` has rehashed them.
    """
    if not number:
        return ""
    return _hmac(settings.ID_HASH_KEYS[0], idnumber.normalise(number))


def id_hashes(number: str) -> list[str]:
    """The hashes of an identity number under every configured key, current first: what lookups match."""
    if not number:
        return []
    value = idnumber.normalise(number)
    return [_hmac(key, value) for key in settings.ID_HASH_KEYS]


def id_hash_rotating() -> bool:
    """Whether more than one key is configured: stored hashes may then be under different keys."""
    return len(settings.ID_HASH_KEYS) > 1


def phone_hash(phone: str) -> str:
    """The hash of a phone as dialled in China (+86, spaces and dashes dropped); empty without a phone."""
    value = idnumber.normalise_phone(phone) if phone else ""
    if not value:
        return ""
    return _hmac(settings.ID_HASH_KEYS[0], value)


def _key_hash(key: str) -> str:
    """Blocking keys are stored as keyed hashes: names and birth dates never sit in the key table."""
    return _hmac(settings.ID_HASH_KEYS[0], key)[:32]


def _category_of(values: dict) -> str:
    if values["icd10"]:
        return category(values["icd10"])
    try:
        return category(normalise(values["diagnosis__icd10_given"] or ""))
    except Icd10Error:
        return ""


def record_of(values: dict) -> linkage.Record:
    """What the resolver compares of a case (a row of `Case.objects.values(*_RECORD_FIELDS)`)."""
    number = values["patient_id_number"] or ""
    valid = bool(number) and idnumber.is_valid(number)
    return linkage.Record(
        key=values["id"],
        name=values["patient_name"],
        birth_date=values["patient_birth_date"],
        sex=values["patient_sex"],
        province=values["patient_province"],
        city=values["patient_city"] or "",
        phone_hash=values["patient_phone_hash"] or "",
        id_hash=id_hash(number) if valid else "",
        id_partial=linkage.id_partial(number) if number and not valid else "",
        hospital=values["diagnosis__hospital"] or "",
        category=_category_of(values),
    )


_RESOLVERS: dict[tuple | None, linkage.Resolver] = {}  # keyed by the newest row (id, created_at)


def resolver_current() -> linkage.Resolver:
    """The newest fitted model, or the engine's built-in one before any nightly run fitted one.

    Intake calls this for every submission: the model is read from its row once per row, not per call.
    """
    newest = ResolutionModel.objects.order_by("-created_at", "-id").values_list("id", "created_at").first()
    if newest not in _RESOLVERS:
        _RESOLVERS.clear()
        params = ResolutionModel.objects.get(pk=newest[0]).params if newest else None
        _RESOLVERS[newest] = linkage.Resolver(model=linkage.Model.from_dict(params) if params else None)
    return _RESOLVERS[newest]


def _decisions(case_ids: Iterable[int] | None = None) -> tuple[set[frozenset], set[frozenset]]:
    """Pairs case workers merged and pairs they split."""
    reviews = IdentityReview.objects.exclude(status=IdentityReview.Status.OPEN)
    if case_ids is not None:
        ids = list(case_ids)
        reviews = reviews.filter(Q(case_a_id__in=ids) | Q(case_b_id__in=ids))
    merged, split = set(), set()
    for a, b, status in reviews.values_list("case_a_id", "case_b_id", "status"):
        (merged if status == IdentityReview.Status.MERGED else split).add(frozenset((a, b)))
    return merged, split


# -- At intake -------------------------------------------------------------------------------


def cases_resolve(*, case_ids: list[int]) -> dict[str, int]:
    """Resolve new or changed cases against everyone known, in order; well under a second per case.

    Each case keeps its person when its valid identity number names one; otherwise it joins the
    person of the best-scoring earlier case above the threshold, and pairs in the uncertain band
    go to the review queue. Blocks larger than the engine's cap (a very common name in one
    province) are left to the nightly run, so intake time does not grow with the data.
    """
    if not case_ids:
        return {"joined": 0, "reviews": 0}
    rows = {v["id"]: v for v in Case.objects.filter(pk__in=case_ids).values(*_RECORD_FIELDS)}
    records = {pk: record_of(values) for pk, values in rows.items()}
    keys = {pk: {_key_hash(k) for k in linkage.blocking_keys(record)} for pk, record in records.items()}
    MatchKey.objects.filter(case_id__in=case_ids).delete()
    MatchKey.objects.bulk_create([MatchKey(case_id=pk, key=k) for pk, ks in keys.items() for k in ks])

    resolver = resolver_current()
    all_keys = {k for ks in keys.values() for k in ks}
    sizes_of_key = dict(
        MatchKey.objects.filter(key__in=all_keys).values("key").annotate(n=Count("id")).values_list("key", "n")
    )
    usable = {k for k in all_keys if sizes_of_key.get(k, 0) <= resolver.max_block}
    shared = defaultdict(set)  # key -> cases holding it, this batch included
    for case_id, key in MatchKey.objects.filter(key__in=usable).values_list("case_id", "key"):
        shared[key].add(case_id)
    # Each case's candidates: the earlier cases sharing most keys with it.
    candidates: dict[int, list[int]] = {}
    for pk in sorted(case_ids):
        counts = defaultdict(int)
        for key in keys[pk] & usable:
            for other in shared[key]:
                if other != pk and (other < pk or other not in rows):
                    counts[other] += 1
        candidates[pk] = sorted(counts, key=lambda c: (-counts[c], c))[:MAX_CANDIDATES]
    merged, split = _decisions(case_ids)
    partners = {c for pair in split for c in pair}
    candidate_ids = {c for cs in candidates.values() for c in cs} | partners
    candidate_rows = {
        **{v["id"]: v for v in Case.objects.filter(pk__in=candidate_ids - set(rows)).values(*_RECORD_FIELDS)},
        **rows,
    }
    person_of = {pk: v["person_id"] for pk, v in candidate_rows.items()}
    person_hash = dict(
        Person.objects.filter(pk__in=set(person_of.values())).exclude(id_hash=None).values_list("pk", "id_hash")
    )
    sizes = dict(
        Case.objects.filter(person_id__in=set(person_of.values())).values("person_id").annotate(n=Count("id"))
        .values_list("person_id", "n")
    )  # fmt: skip
    # Persons known before this batch: a number shared only by cases of this batch still searches,
    # so an earlier application without the number is found.
    established = set(
        Case.objects.filter(person_id__in=set(person_of.values())).exclude(pk__in=list(rows))
        .values_list("person_id", flat=True).distinct()
    )  # fmt: skip
    # A valid number matches its person under any configured hash key (during a key rotation).
    own_hashes = {
        pk: set(id_hashes(v["patient_id_number"])) if records[pk].id_hash else set() for pk, v in rows.items()
    }
    involved = sorted(candidate_rows)
    position = {pk: i for i, pk in enumerate(involved)}
    pair_index = {(pk, c): k for k, (pk, c) in enumerate((pk, c) for pk, cs in candidates.items() for c in cs)}
    # All pairs are scored in one pass; who joins whom is then decided in order, as persons change.
    scored = resolver.score_pairs(
        [record_of(candidate_rows[pk]) for pk in involved], [(position[pk], position[c]) for pk, c in pair_index]
    )

    moves: list[tuple[int, int]] = []
    numbered: dict[int, tuple[int, str]] = {}  # person -> the person the number leaves, and the number
    review_rows: dict[tuple[int, int], IdentityReview] = {}
    low, high = resolver.review_band
    for pk in sorted(case_ids):  # earlier cases first: a later one may join a person made just now
        own, hashes = person_of[pk], own_hashes[pk]
        if any(pk in pair for pair in merged):
            continue  # a case worker said who this is; the case keeps that person
        if hashes and person_hash.get(own) in hashes and own in established:
            continue  # its valid identity number names a person known before this batch
        # Never join a person whose valid number differs, nor one a case worker split this case from.
        barred = {person_of[c] for pair in split if pk in pair for c in pair if c != pk}
        others = [
            c for c in candidates[pk]
            if person_of[c] != own and person_of[c] not in barred
            and not (hashes and person_hash.get(person_of[c]) not in (None, *hashes))
        ]  # fmt: skip
        probability = {c: scored.probability[pair_index[(pk, c)]] for c in others}
        best = max(others, key=lambda c: (probability[c], -c), default=None)
        if best is not None and probability[best] >= resolver.threshold:
            target = person_of[best]
            moves.append((target, pk))
            person_of[pk] = target
            sizes[own], sizes[target] = sizes.get(own, 1) - 1, sizes.get(target, 0) + 1
            if hashes and person_hash.get(target) is None:
                numbered[target] = (own, rows[pk]["patient_id_number"])
                person_hash[target] = records[pk].id_hash
        for other in others:
            if low <= probability[other] < high and person_of[other] != person_of[pk]:
                pair = tuple(sorted((pk, other)))
                review_rows[pair] = IdentityReview(
                    case_a_id=pair[0], case_b_id=pair[1], reasons=scored.reasons(pair_index[(pk, other)]),
                    probability=Decimal(str(probability[other])).quantize(PROBABILITY_PLACES),
                )  # fmt: skip
    _cases_move(moves)
    for target, (previous, number) in numbered.items():
        # The valid number moves from the fresh person the case came with to the one it joined.
        _number_give(Person.objects.filter(pk=previous, id_hash__in=id_hashes(number)), "")
        _number_give(Person.objects.filter(pk=target), number)
    if moves:
        Person.objects.filter(
            pk__in={pk for pk, n in sizes.items() if n <= 0}, cases__isnull=True, aid_records__isnull=True,
            episodes__isnull=True,
        ).delete()  # fmt: skip
    IdentityReview.objects.bulk_create(review_rows.values(), ignore_conflicts=True)
    return {"joined": len(moves), "reviews": len(review_rows)}


def _cases_move(moves: list[tuple[int, int]]) -> None:
    """Move cases to persons ((person_id, case_id) pairs), and the aid recorded on them with them."""
    _execute_update(Case, ("person_id",), moves)
    aid_follow_cases([case_id for _, case_id in moves])


def _verify_again(person_ids: Iterable[int | None]) -> None:
    """Leave every case of these persons for the nightly run to verify again (its stamp cleared):
    the risk score counts the other applications of the same illness episode. (A case joining a
    person at intake needs none of this: it is the person's newer application, which the nightly
    run looks for.)"""
    persons = sorted(p for p in set(person_ids) if p is not None)
    for start in range(0, len(persons), MOVE_CHUNK):
        Case.objects.filter(person_id__in=persons[start : start + MOVE_CHUNK]).exclude(verified_with="").update(
            verified_with=""
        )


def aid_follow_cases(case_ids: list[int]) -> None:
    """Aid recorded on a case belongs to that case's person: after cases moved, their aid follows."""
    for start in range(0, len(case_ids), MOVE_CHUNK):
        AidRecord.objects.filter(case_id__in=case_ids[start : start + MOVE_CHUNK]).update(
            person_id=Subquery(Case.objects.filter(pk=OuterRef("case_id")).values("person_id")[:1])
        )


def _number_give(persons, number: str) -> None:
    """Give persons a valid identity number (or take it away with ""): hash, encrypted value and mask together.

    A queryset update() skips the mask that save() keeps in step, so it is written here too.
    """
    value = idnumber.normalise(number) if number else ""
    persons.update(id_hash=id_hash(value) or None, id_number=value, id_masked=idnumber.mask(value))


def person_drop_if_orphaned(*, person_id: int) -> None:
    Person.objects.filter(pk=person_id, cases__isnull=True, aid_records__isnull=True, episodes__isnull=True).delete()


def person_for_case(*, case: Case) -> Person:
    """The person a case starts with, before resolution compares it with others.

    A valid identity number names its person (found under any hash key, or made). Otherwise a
    case already resolved keeps its person, so re-sending an application does not undo what
    resolution or a case worker decided; a new case gets a person of its own.
    """
    number = case.patient_id_number
    details = {"name": case.patient_name, "birth_date": case.patient_birth_date, "sex": case.patient_sex,
               "province": case.patient_province}  # fmt: skip
    current = Person.objects.filter(pk=case.person_id).first() if case.person_id else None
    if number and idnumber.is_valid(number):
        hashes = id_hashes(number)
        person = Person.objects.filter(id_hash__in=hashes).first()
        if person is None and current is not None and current.id_hash is None:
            # The number was added or corrected: the person the case was resolved to takes it.
            _number_give(Person.objects.filter(pk=current.pk), number)
            return Person.objects.get(pk=current.pk)
        if person is None:
            person, _ = Person.objects.get_or_create(
                id_hash=hashes[0], defaults={**details, "id_number": idnumber.normalise(number)}
            )
        return person
    if current is not None:
        if current.id_hash is None and not current.cases.exclude(pk=case.pk).exists():
            for name, value in details.items():  # its own person: keep the details as the case states them
                setattr(current, name, value)
            current.save(update_fields=list(details))
        return current
    return Person.objects.create(**details)


# -- Nightly ---------------------------------------------------------------------------------


def identities_resolve_all() -> dict[str, int]:
    """Re-resolve every case: refit the model on the pairs identity numbers label, then regroup.

    Persons are kept where they still hold their cases (a person keeps its public id), so only
    what changed moves. Merges and splits decided by case workers are applied over the model.
    """
    rows = {v["id"]: v for v in Case.objects.values(*_RECORD_FIELDS).iterator(chunk_size=2000)}
    records = [record_of(v) for v in rows.values()]
    resolver = linkage.Resolver().fit(records)  # or the built-in model, when too few numbers agree
    model = _model_save(resolver.model)
    resolution = resolver.resolve(records)
    clusters = _clusters_with_decisions(resolution.cluster_of, records)
    moved, created = _persons_apply(clusters, rows)
    opened = _reviews_refresh(resolution.review, clusters)
    _match_keys_refresh(records)
    engine = {f"engine.{k}": v for k, v in resolution.stats.items() if isinstance(v, int)}
    return {"cases_moved": moved, "persons_created": created, "reviews_opened": opened, "model": model.pk, **engine}


def _model_save(fitted: linkage.Model) -> ResolutionModel:
    params = fitted.to_dict()
    latest = ResolutionModel.objects.order_by("-created_at", "-id").first()
    if latest is not None and latest.params == params:
        return latest
    return ResolutionModel.objects.create(version=str(params.get("version", "")), params=params,
                                          stats=params.get("trained_on", {}))  # fmt: skip


def _clusters_with_decisions(cluster_of: dict[int, int], records: list[linkage.Record]) -> dict[int, int]:
    """Apply what case workers decided and what identity numbers settle over the model's clusters."""
    parent = dict(cluster_of)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for key in parent:
        parent.setdefault(parent[key], parent[key])
    hash_of = {r.key: r.id_hash for r in records if r.id_hash}
    root_hash = {key: hash_of.get(key, "") for key in parent}  # the valid number a cluster holds, if any
    for key in cluster_of:
        root = find(key)
        root_hash[root] = root_hash[root] or hash_of.get(key, "")
    merged, split = _decisions()
    by_hash: dict[str, int] = {}
    unions = [tuple(pair) for pair in merged]
    for record in records:
        if record.id_hash:
            unions.append((by_hash.setdefault(record.id_hash, record.key), record.key))
    for a, b in unions:
        if a in parent and b in parent:
            ra, rb = find(a), find(b)
            if ra == rb:
                continue
            if root_hash[ra] and root_hash[rb] and root_hash[ra] != root_hash[rb]:
                # Two valid numbers are two persons, whatever a merge said before a number was corrected.
                logger.warning("identity: not joining cases %s and %s: their valid numbers differ", a, b)
                continue
            low, high = min(ra, rb), max(ra, rb)
            parent[high] = low
            root_hash[low] = root_hash[low] or root_hash[high]
    result = {key: find(key) for key in cluster_of}
    for pair in split:
        a, b = sorted(pair)
        if a in result and b in result and result[a] == result[b]:
            result[b] = -b  # a cluster of its own
    return result


@transaction.atomic
def _persons_apply(clusters: dict[int, int], rows: dict[int, dict]) -> tuple[int, int]:
    """Give each cluster one person, keeping the person that already holds most of its cases.

    A person's valid number is compared under every hash key, so a key rotation in progress
    moves nobody. Aid recorded by number follows the cases when their person is left empty.
    """
    members: dict[int, list[int]] = defaultdict(list)
    for case_id, cluster in clusters.items():
        members[cluster].append(case_id)
    person_hash = dict(Person.objects.exclude(id_hash=None).values_list("pk", "id_hash"))
    taken: set[int] = set()
    chosen: list[tuple[list[int], int | None, str]] = []  # cases, person kept (None: a new one), number
    for case_ids in sorted(members.values(), key=len, reverse=True):
        numbers = sorted({rows[c]["patient_id_number"] for c in case_ids if record_valid(rows[c]["patient_id_number"])})
        hashes = {h for n in numbers for h in id_hashes(n)}
        held = defaultdict(int)
        for c in case_ids:
            held[rows[c]["person_id"]] += 1
        # The person named by the cluster's identity number first, then the one holding most cases.
        choices = sorted(
            (p for p in held if p not in taken and person_hash.get(p) in (None, *hashes)),
            key=lambda p: (person_hash.get(p) not in hashes, -held[p], p),
        )
        person_id = choices[0] if choices else None
        if person_id is not None:
            taken.add(person_id)
        chosen.append((case_ids, person_id, numbers[0] if numbers else ""))

    new = {
        index: Person(name=rows[min(ids)]["patient_name"], birth_date=rows[min(ids)]["patient_birth_date"],
                      sex=rows[min(ids)]["patient_sex"], province=rows[min(ids)]["patient_province"])
        for index, (ids, person_id, _) in enumerate(chosen) if person_id is None
    }  # fmt: skip
    Person.objects.bulk_create(new.values())
    moves, numbered = [], []
    for index, (case_ids, person_id, number) in enumerate(chosen):
        person_id = new[index].pk if person_id is None else person_id
        if number and person_hash.get(person_id) is None:
            numbered.append((person_id, number))
        moves.extend((person_id, c) for c in case_ids if rows[c]["person_id"] != person_id)
    for person_id, number in numbered:
        try:
            with transaction.atomic():
                _number_give(Person.objects.filter(pk=person_id), number)
        except IntegrityError:  # an intake meanwhile gave the number to another person: tomorrow's run settles it
            logger.warning("identity: number of person %s taken meanwhile; left for the next run", person_id)
    touched = {person_id for person_id, _ in moves} | {rows[case_id]["person_id"] for _, case_id in moves}
    _cases_move(moves)
    _verify_again(touched)
    if moves:
        # aid recorded by number on a person left without cases goes where most of its cases went
        successors: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for person_id, case_id in moves:
            successors[rows[case_id]["person_id"]][person_id] += 1
        emptied = set(Person.objects.filter(pk__in=list(successors), cases__isnull=True).values_list("pk", flat=True))
        for old in emptied:
            heir = max(successors[old], key=lambda p: (successors[old][p], -p))
            AidRecord.objects.filter(person_id=old, case=None).update(person_id=heir)
    return len(moves), len(new)


def record_valid(number: str | None) -> bool:
    return bool(number) and idnumber.is_valid(number)


def _reviews_refresh(pairs: list, clusters: dict[int, int]) -> int:
    """Open a review for each uncertain pair the model left apart; drop open ones no longer uncertain."""
    wanted = {}
    for pair in pairs:
        a, b = sorted((pair.key_a, pair.key_b))
        if clusters.get(a) != clusters.get(b):
            wanted[(a, b)] = pair
    existing = set(IdentityReview.objects.values_list("case_a_id", "case_b_id"))
    open_reviews = IdentityReview.objects.filter(status=IdentityReview.Status.OPEN)
    settled = [pk for pk, a, b in open_reviews.values_list("pk", "case_a_id", "case_b_id") if (a, b) not in wanted]
    for start in range(0, len(settled), MOVE_CHUNK):
        IdentityReview.objects.filter(pk__in=settled[start : start + MOVE_CHUNK]).delete()
    new = [
        IdentityReview(case_a_id=a, case_b_id=b, reasons=list(p.reasons),
                       probability=Decimal(str(p.probability)).quantize(PROBABILITY_PLACES))
        for (a, b), p in wanted.items() if (a, b) not in existing
    ]  # fmt: skip
    IdentityReview.objects.bulk_create(new, batch_size=1000)
    return len(new)


def _match_keys_refresh(records: list[linkage.Record]) -> int:
    """Bring the blocking-key table in line with every case: after a hash-key rotation or a new engine."""
    wanted = {(r.key, _key_hash(k)) for r in records for k in set(linkage.blocking_keys(r))}
    have = {(c, k): pk for pk, c, k in MatchKey.objects.values_list("pk", "case_id", "key").iterator(chunk_size=5000)}
    stale = [pk for pair, pk in have.items() if pair not in wanted]
    for start in range(0, len(stale), MOVE_CHUNK):
        MatchKey.objects.filter(pk__in=stale[start : start + MOVE_CHUNK]).delete()
    MatchKey.objects.bulk_create(
        [MatchKey(case_id=c, key=k) for c, k in wanted - have.keys()], batch_size=2000, ignore_conflicts=True
    )
    return len(stale)


def persons_prune() -> int:
    """Delete persons left with no case, aid or episode after cases moved."""
    deleted, _ = Person.objects.filter(cases__isnull=True, aid_records__isnull=True, episodes__isnull=True).delete()
    return deleted


# -- Case workers' decisions ------------------------------------------------------------------


@transaction.atomic
def review_decide(*, review_id: int, verdict: str, user, reason: str) -> IdentityReview:
    """Merge (same person) or split (different persons) two cases, with a reason; audited.

    A merge moves every case of the second person to the first; a split gives the second case a
    person of its own. Both recompute the episodes and need of those concerned at once, withdraw
    their open proposals, and queue a pipeline run that proposes again.
    """
    from matching.models import Program  # matching builds on cases, not the reverse
    from matching.services.need import need_refresh

    reason = reason.strip()
    if not reason:
        raise CaseError("a merge or split needs a reason")
    # Lock order, as everywhere: persons, then programs (as the nightly need step and accepts do).
    pair = IdentityReview.objects.filter(pk=review_id).values_list("case_a__person_id", "case_b__person_id").get()
    persons = sorted(set(pair))
    list(Person.objects.select_for_update().filter(pk__in=persons).order_by("pk").values_list("pk", flat=True))
    list(Program.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    review = IdentityReview.objects.select_for_update(of=("self",)).select_related("case_a", "case_b").get(pk=review_id)
    if review.status != IdentityReview.Status.OPEN:
        raise CaseError(f"this pair was already decided: {review.get_status_display()}, by {review.decided_by}")
    a, b = review.case_a, review.case_b
    if sorted({a.person_id, b.person_id}) != persons:
        raise CaseError("these cases changed person meanwhile; reload the page and decide again")
    if verdict == IdentityReview.Status.MERGED:
        _merge(a, b)
    elif verdict == IdentityReview.Status.SPLIT:
        _split(a, b)
    else:
        raise CaseError(f"unknown verdict {verdict!r}")
    review.status, review.decided_by, review.decided_at = verdict, user, timezone.now()
    review.decision_reason = reason
    review.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    affected = sorted({*persons, *Case.objects.filter(pk__in=[a.pk, b.pk]).values_list("person_id", flat=True)})
    need_refresh(person_ids=affected, reason=f"identity review {review.pk}: {verdict}")
    _verify_again(affected)  # their risk scores count other applications
    for person_id in affected:
        person_drop_if_orphaned(person_id=person_id)
    for case, other in ((a, b), (b, a)):
        event_log(case=case, code=f"identity.{verdict}", user=user,
                  data={"other": other.ref, "reason": reason, "review": review.pk})  # fmt: skip
    # need_refresh withdrew the open proposals of these persons' cases; the next scheduled run
    # proposes again for the new episodes (proposals are allocated across every foundation's budget
    # at once, so a mid-day run for one pair would withdraw and remake everyone's).
    return review


def _merge(a: Case, b: Case) -> None:
    if a.person_id == b.person_id:
        return
    keep, gone = Person.objects.get(pk=a.person_id), Person.objects.get(pk=b.person_id)
    if keep.id_hash and gone.id_hash and keep.id_hash != gone.id_hash:
        raise CaseError("these cases carry two different valid identity numbers: they cannot be one person")
    Case.objects.filter(person=gone).update(person=keep)
    AidRecord.objects.filter(person=gone).update(person=keep)
    if gone.id_hash and not keep.id_hash:
        number = gone.id_number
        _number_give(Person.objects.filter(pk=gone.pk), "")
        _number_give(Person.objects.filter(pk=keep.pk), number)


def _split(a: Case, b: Case) -> None:
    if a.person_id != b.person_id:
        return
    number = b.patient_id_number
    if record_valid(number) and Person.objects.filter(pk=b.person_id, id_hash=id_hash(number)).exists():
        raise CaseError("this case's valid identity number is the person's own: it cannot be split off")
    person = Person.objects.create(name=b.patient_name, birth_date=b.patient_birth_date, sex=b.patient_sex,
                                   province=b.patient_province)  # fmt: skip
    Case.objects.filter(pk=b.pk).update(person=person)
    AidRecord.objects.filter(case=b).update(person=person)
