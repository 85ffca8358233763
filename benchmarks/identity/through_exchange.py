"""Identity resolution as partners and the outside evaluation see it: through the exchange format.

    python -m benchmarks.identity.through_exchange --records 20000 [--seed 7] [--workdir DIR] [--json PATH]

Generates labelled applications (`benchmarks.identity.data.synthetic`), writes them as exchange
`case` lines (shared/exchange-format.md), and runs the commands a partner runs, each in its own
process on a fresh SQLite database: migrate, import_exchange, export_exchange (the persons intake
gave), run_nightly, export_exchange (the persons after the nightly re-resolution). Then scores the
`person` of every `case_result` against the truth: pairwise precision, recall and F1 of "same
person", after intake and after the nightly run, with where the two disagree and what the misses
and false links look like. For reference, the engine is also run in this process on the same
records (`cases.lib.linkage` directly, as benchmarks.identity.run does).

Applications without a birth date are left out of the file and the truth: the format requires
`patient.birth_date` and `parse_case` rejects a case without it. Cases are written in the order
they were submitted; foundation_aid and pap cases name no target_program (it is optional).
A benchmark, not a test: run it on purpose.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.identity import data
from benchmarks.identity.run import pairwise_scores

ROOT = Path(__file__).resolve().parents[2]
CHINA = dt.timezone(dt.timedelta(hours=8))
SUBMITTED_WITHIN_DAYS = 120
# Lines per import transaction in cases.services.exchange (IMPORT_BATCH): the cases of one batch are
# resolved together at intake, which the diagnosis of intake misses below looks at.
IMPORT_BATCH = 500
# Clusters larger than this are not enumerated pair by pair (the contingency counts still cover them).
MAX_ENUMERATED_CLUSTER = 3000

# Diagnosis text as a hospital certificate would word it, by code and by category.
DIAGNOSIS_TEXT = {
    "C34.1": "右肺上叶腺癌", "C34.9": "肺恶性肿瘤（非小细胞肺癌）", "C34": "肺癌",
    "C50": "乳腺浸润性导管癌", "C92.0": "急性髓系白血病", "C92": "髓系白血病",
    "C91.0": "急性淋巴细胞白血病", "C91": "淋巴细胞白血病", "C16": "胃腺癌", "C18": "乙状结肠癌",
    "C20": "直肠腺癌", "C22": "原发性肝细胞癌", "N18": "慢性肾脏病5期（尿毒症），需规律血液透析",
    "I61": "脑出血", "C83": "弥漫大B细胞淋巴瘤", "C90": "多发性骨髓瘤", "Q21.1": "先天性心脏病（房间隔缺损）",
    "Q21.0": "先天性心脏病（室间隔缺损）", "Q21": "先天性心脏病", "C53": "宫颈鳞状细胞癌", "C56": "卵巢癌",
    "C71": "脑胶质瘤", "C15": "食管鳞状细胞癌", "C25": "胰腺癌", "D61": "重型再生障碍性贫血", "C73": "甲状腺乳头状癌",
}  # fmt: skip
UNKNOWN_TEXT = "重大疾病，住院治疗中（详见病历）"
PLATFORMS = ("水滴筹", "轻松筹", "爱心筹")
FOUNDATION_SOURCES = ("中华少年儿童慈善救助基金会", "中国红十字基金会", "北京新阳光慈善基金会")
PAP_SOURCES = ("中国初级卫生保健基金会", "中华慈善总会")
PARENT_GIVEN = ("建国", "秀英", "建华", "桂兰", "志强", "丽华", "国平", "淑珍")
CHILD_GIVEN = ("伟", "静", "磊", "娜", "强", "敏", "洋", "丽")


def diagnosis_text(code: str | None) -> str:
    if not code:
        return UNKNOWN_TEXT
    return DIAGNOSIS_TEXT.get(code) or DIAGNOSIS_TEXT.get(code[:3]) or UNKNOWN_TEXT


def _money(value: float) -> str:
    return f"{value:.2f}"


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --------------------------------------------------------------------------------------------
# Exchange file
# --------------------------------------------------------------------------------------------


def case_line(row: dict[str, Any], submitted: dt.datetime, rng: random.Random) -> dict[str, Any]:
    """One exchange `case` line for one labelled application (every required field filled)."""
    channel = row["channel"]
    birth = dt.date.fromisoformat(row["birth_date"])
    patient: dict[str, Any] = {
        "name": row["name"],
        "birth_date": row["birth_date"],
        "sex": row["sex"],
        "province": row["province"],
    }
    for key in ("id_number", "phone", "city"):
        if row.get(key):
            patient[key] = row[key]
    if channel == "crowdfunding":
        source = rng.choice(PLATFORMS)
    elif channel == "foundation_aid":
        source = rng.choice(FOUNDATION_SOURCES)
    else:
        source = rng.choice(PAP_SOURCES)
    line: dict[str, Any] = {
        "kind": "case",
        "ref": f"R{row['record_id']}",
        "channel": channel,
        "source": source,
        "submitted_at": submitted.isoformat(timespec="seconds"),
        "patient": patient,
    }
    if channel == "crowdfunding":
        age = _age(birth, submitted.date())
        surname = row["name"].replace(" ", "")[:1]
        if age < 18:
            raiser = {"name": surname + rng.choice(PARENT_GIVEN), "relation": "parent"}
        elif age >= 65 and rng.random() < 0.7:
            raiser = {"name": surname + rng.choice(CHILD_GIVEN), "relation": "child"}
        else:
            raiser = {"name": row["name"], "relation": "self"}
            for key in ("id_number", "phone"):
                if row.get(key):
                    raiser[key] = row[key]
        line["raiser"] = raiser
    income = rng.randrange(8_000, 240_000, 100)
    dibao = rng.choices(("none", "dibao", "dibao_edge", "tekun", "jiandang"), (80, 9, 6, 2, 3))[0]
    line["household"] = {"size": rng.randint(1, 6), "annual_income": _money(income), "dibao_status": dibao}
    if channel == "crowdfunding":
        line["household"]["assets"] = {"houses": rng.randint(0, 2), "car_value": _money(rng.choice((0, 0, 30_000))),
                                       "financial_assets": _money(rng.randrange(0, 50_000, 100))}  # fmt: skip
    line["insurance"] = {"basic": rng.choices(("resident", "employee", "none"), (70, 26, 4))[0]}
    diagnosis: dict[str, Any] = {"text": diagnosis_text(row.get("icd10"))}
    if row.get("icd10"):
        diagnosis["icd10"] = row["icd10"]
    if row.get("hospital"):
        diagnosis["hospital"] = row["hospital"]
    line["diagnosis"] = diagnosis
    amount = rng.randrange(20_000, 400_000, 1_000) if channel == "crowdfunding" else rng.randrange(5_000, 50_000, 500)
    line["request"] = {"amount": _money(amount)}
    if channel == "crowdfunding":
        line["raised"] = _money(amount * rng.random() * 0.8)
    documents = ["id_card", "diagnosis_certificate", "medical_record"]
    if channel != "crowdfunding":
        documents += ["hospital_invoice", "income_proof"]
    if channel == "pap":
        documents.append("prescription")
    line["documents"] = [{"type": t} for t in documents]
    line["consent"] = {"data_sharing": True}
    return line


def write_exchange(df: pd.DataFrame, path: Path, seed: int, today: dt.date) -> pd.DataFrame:
    """Write the case lines in submission order; returns the frame written, with its ref and time."""
    rng = random.Random(seed * 7919 + 1)
    latest = dt.datetime.combine(today, dt.time(0, 0), tzinfo=CHINA)
    seconds = [rng.randint(60, SUBMITTED_WITHIN_DAYS * 86_400) for _ in range(len(df))]
    written = df.copy()
    written["submitted_at"] = [latest - dt.timedelta(seconds=s) for s in seconds]
    written["ref"] = "R" + written["record_id"].astype(str)
    written = written.sort_values(["submitted_at", "record_id"]).reset_index(drop=True)
    written["line"] = np.arange(1, len(written) + 1)
    with path.open("w", encoding="utf-8") as stream:
        for row, submitted in zip(written.to_dict("records"), written["submitted_at"], strict=True):
            clean = {k: (None if v is None or (isinstance(v, float) and np.isnan(v)) else v) for k, v in row.items()}
            stream.write(json.dumps(case_line(clean, submitted, rng), ensure_ascii=False) + "\n")
    return written


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


def run_command(label: str, args: list[str], env: dict, workdir: Path) -> dict[str, Any]:
    """Run one manage.py command in its own process; os.wait4 gives this child's own peak memory."""
    log = workdir / f"{label}.log"
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "manage.py", *args], env=env, cwd=ROOT, stdout=out,
                                   stderr=subprocess.STDOUT)  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started
    result = {"seconds": round(elapsed, 2), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1), "exit": code}
    print(f"  {label:<14} {elapsed:8.1f} s   peak {result['peak_rss_mib']:7.0f} MiB   exit {code}", flush=True)
    if code not in (0, 1):
        print(log.read_text(errors="replace")[-3000:])
        sys.exit(f"{label} failed with exit status {code}")
    return result


REJECTION = re.compile(r": line (\d+)(?: \(ref ([^)]+)\))?: (.*)$")


def import_rejections(log: Path) -> list[dict[str, Any]]:
    rejected = []
    for text in log.read_text(errors="replace").splitlines():
        match = REJECTION.search(text)
        if match:
            rejected.append({"line": int(match.group(1)), "ref": match.group(2), "reason": match.group(3)})
    return rejected


def nightly_counts(log: Path) -> dict[str, Any]:
    counts: dict[str, Any] = {}
    for text in log.read_text(errors="replace").splitlines():
        match = re.match(r"^  (\S+): (.+)$", text)
        if match:
            value = match.group(2)
            counts[match.group(1)] = int(value) if value.lstrip("-").isdigit() else value
        elif text.startswith("nightly run"):
            counts["summary"] = text.strip()
    return counts


def read_persons(path: Path) -> dict[str, str | None]:
    persons = {}
    with path.open(encoding="utf-8") as stream:
        for text in stream:
            obj = json.loads(text)
            if obj.get("kind") == "case_result":
                persons[obj["ref"]] = obj.get("person")
    return persons


def database_state(db: Path) -> dict[str, Any]:
    """Counts straight from the database: persons, and the identity review queue."""
    state: dict[str, Any] = {}
    try:
        with sqlite3.connect(db) as conn:
            tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
            if "cases_person" in tables:
                state["persons"] = conn.execute("select count(*) from cases_person").fetchone()[0]
            if "cases_identityreview" in tables:
                state["reviews_by_status"] = dict(
                    conn.execute("select status, count(*) from cases_identityreview group by status").fetchall()
                )
    except sqlite3.Error as exc:
        state["error"] = str(exc)
    return state


# --------------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------------


def pairwise(predicted: np.ndarray, truth: np.ndarray) -> dict[str, Any]:
    """The benchmark's pairwise scores, with what went wrong counted and the cluster sizes."""
    scores = pairwise_scores(predicted, truth)
    sizes = pd.Series(predicted).value_counts()
    return {
        **scores,
        "false_positive_pairs": scores["predicted_pairs"] - scores["true_positive_pairs"],
        "false_negative_pairs": scores["true_pairs"] - scores["true_positive_pairs"],
        "clusters": int(len(sizes)),
        "largest_cluster": int(sizes.max()) if len(sizes) else 0,
    }


def linked_pairs(labels: np.ndarray) -> set[tuple[int, int]]:
    """Index pairs (i < j) that share a label; clusters too large to enumerate are skipped."""
    groups: dict[Any, list[int]] = defaultdict(list)
    for i, label in enumerate(labels.tolist()):
        groups[label].append(i)
    out: set[tuple[int, int]] = set()
    for members in groups.values():
        if 1 < len(members) <= MAX_ENUMERATED_CLUSTER:
            out.update(combinations(members, 2))
    return out


def id_status(numbers: pd.Series) -> np.ndarray:
    from cases.lib import idnumber

    return np.array(
        ["missing" if not v else ("valid" if idnumber.is_valid(v) else "invalid") for v in numbers.fillna("")],
        dtype=object,
    )


def describe_pairs(pairs: set[tuple[int, int]], frame: pd.DataFrame, status: np.ndarray, limit: int = 5) -> dict:
    """What a set of wrongly linked or wrongly separated pairs looks like."""
    from cases.lib.linkage import normalise_name

    names = frame["name"].tolist()
    norm = [normalise_name(n) for n in names]
    births = frame["birth_date"].tolist()
    numbers = frame["id_number"].fillna("").tolist()
    phones = frame["phone"].fillna("").tolist()
    by_ids: Counter = Counter()
    evidence: Counter = Counter()
    examples = []
    for i, j in sorted(pairs):
        by_ids["+".join(sorted((status[i], status[j])))] += 1
        same_id = bool(numbers[i]) and numbers[i] == numbers[j]
        evidence[
            ("name=" if norm[i] == norm[j] else "name≠")
            + (" birth=" if births[i] == births[j] else " birth≠")
            + (" phone=" if phones[i] and phones[i] == phones[j] else " phone≠/-")
            + (" id=" if same_id else "")
        ] += 1
        if len(examples) < limit:
            examples.append(
                {
                    side: {k: frame.iloc[x][k] for k in ("ref", "person_id", "name", "birth_date", "sex", "phone",
                                                         "province", "city", "id_number", "icd10", "hospital")}
                    for side, x in (("a", i), ("b", j))
                }
            )  # fmt: skip
    return {
        "pairs": len(pairs),
        "by_id_numbers": dict(by_ids.most_common()),
        "by_evidence": dict(evidence.most_common(8)),
        "examples": json.loads(json.dumps(examples, ensure_ascii=False, default=str)),
    }


def same_batch_pattern(missed: set[tuple[int, int]], frame: pd.DataFrame, status: np.ndarray) -> dict[str, int]:
    """Intake misses of persons with two cases of one valid number imported in one batch after a case without it.

    Such a pair is resolved in one call at intake: the earlier case only looks at earlier cases, and
    the later ones skip the search because their number already names a person holding two cases.
    """
    line = frame["line"].tolist()
    numbers = frame["id_number"].fillna("").tolist()
    persons = frame["person_id"].tolist()
    members: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(persons):
        members[p].append(i)
    explained = 0
    for i, _ in missed:
        together: dict[tuple[int, str], list[int]] = defaultdict(list)
        for k in members[persons[i]]:
            if status[k] == "valid":
                together[((line[k] - 1) // IMPORT_BATCH, numbers[k])].append(k)
        if any(
            len(ks) >= 2 and any(line[x] < min(line[k] for k in ks) and numbers[x] != num for x in members[persons[i]])
            for (_, num), ks in together.items()
        ):
            explained += 1
    return {"missed_pairs": len(missed), "fit_same_batch_pattern": explained}


def engine_reference(frame: pd.DataFrame) -> dict[str, Any]:
    """The engine itself on the same records, in this process (as benchmarks.identity.run does)."""
    from benchmarks.identity.run import synthetic_columns
    from cases.lib.linkage import Resolver

    started = time.perf_counter()
    columns = synthetic_columns(frame)
    resolution = Resolver().resolve_columns(columns)
    predicted = np.array([resolution.cluster_of[k] for k in frame["record_id"].tolist()], dtype=np.int64)
    return {
        **pairwise(predicted, frame["person_id"].to_numpy()),
        "review_pairs": len(resolution.review),
        "seconds": round(time.perf_counter() - started, 2),
    }


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--workdir", default="", help="directory for the files and the database (default: a new temporary one)"
    )
    parser.add_argument("--json", default="", help="write the results here")
    parser.add_argument("--no-engine-reference", dest="engine_reference", action="store_false",
                        help="skip running the engine in this process on the same records")  # fmt: skip
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="tongzhou-identity-exchange-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "db.sqlite3"
    if db.exists():
        db.unlink()  # a fresh database every run
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "CELERY_BROKER_URL": ""}
    source = workdir / "cases.jsonl"
    intake_export, nightly_export = workdir / "export_intake.jsonl", workdir / "export_nightly.jsonl"
    today = dt.date.today()

    t0 = time.perf_counter()
    df = data.synthetic(args.records, seed=args.seed)
    no_birth = df["birth_date"].isna()
    kept = df[~no_birth].reset_index(drop=True)
    written = write_exchange(kept, source, args.seed, today)
    generate_seconds = round(time.perf_counter() - t0, 2)
    print(f"{args.records} records (seed {args.seed}), {int(no_birth.sum())} without a birth date left out, "
          f"{len(written)} case lines in {source} ({generate_seconds} s)")  # fmt: skip
    print(f"  persons in the truth: {written['person_id'].nunique()}, true pairs {data.true_pairs(written)}")

    steps: dict[str, dict[str, Any]] = {}
    steps["migrate"] = run_command("migrate", ["migrate", "--verbosity", "0"], env, workdir)
    steps["import"] = run_command("import", ["import_exchange", "--no-progress", str(source)], env, workdir)
    rejected = import_rejections(workdir / "import.log")
    state_intake = database_state(db)
    steps["export_intake"] = run_command("export_intake", ["export_exchange", "--kinds", "case_result", "-o",
                                                           str(intake_export)], env, workdir)  # fmt: skip
    steps["nightly"] = run_command("nightly", ["run_nightly", "--no-progress"], env, workdir)
    state_nightly = database_state(db)
    steps["export_nightly"] = run_command(
        "export_nightly", ["export_exchange", "-o", str(nightly_export)], env, workdir
    )

    at_intake, after_nightly = read_persons(intake_export), read_persons(nightly_export)
    scored = written[written["ref"].isin(at_intake.keys() & after_nightly.keys())].reset_index(drop=True)
    missing_refs = sorted(set(written["ref"]) - at_intake.keys())
    no_person = sum(1 for r in scored["ref"] if at_intake[r] is None or after_nightly[r] is None)

    truth = scored["person_id"].to_numpy()
    labels = {
        stage: pd.factorize(pd.Series([persons[r] or f"none:{r}" for r in scored["ref"]]))[0]
        for stage, persons in (("intake", at_intake), ("nightly", after_nightly))
    }
    scores = {stage: pairwise(labels[stage], truth) for stage in labels}

    # Where intake and the nightly run disagree, and what the misses and false links look like.
    true_set = linked_pairs(pd.factorize(pd.Series(truth))[0])
    intake_set, nightly_set = linked_pairs(labels["intake"]), linked_pairs(labels["nightly"])
    status = id_status(scored["id_number"])
    only_intake, only_nightly = intake_set - nightly_set, nightly_set - intake_set
    moved = int(sum(1 for r in scored["ref"] if at_intake[r] != after_nightly[r]))
    disagreement = {
        "cases_whose_person_changed": moved,
        "pairs_linked_at_intake_only": len(only_intake),
        "intake_only_true": len(only_intake & true_set),
        "pairs_linked_by_nightly_only": len(only_nightly),
        "nightly_only_true": len(only_nightly & true_set),
    }
    errors = {
        stage: {
            "false_links": describe_pairs(pairs - true_set, scored, status),
            "missed": describe_pairs(true_set - pairs, scored, status),
        }
        for stage, pairs in (("intake", intake_set), ("nightly", nightly_set))
    }
    errors["intake_missed_same_batch"] = same_batch_pattern(true_set - intake_set, scored, status)
    errors["intake_only_links"] = describe_pairs(only_intake, scored, status)
    errors["nightly_only_links"] = describe_pairs(only_nightly, scored, status)

    reference = engine_reference(scored) if args.engine_reference else None

    print(f"\n{len(scored)} cases scored ({len(missing_refs)} written but not exported, {no_person} without a person); "
          f"{len(rejected)} line(s) rejected at import")  # fmt: skip
    for item in rejected[:10]:
        print(f"  rejected line {item['line']} ref {item['ref']}: {item['reason']}")
    print(f"\n  {'stage':<22}{'precision':>10}{'recall':>10}{'F1':>10}{'pred pairs':>12}{'true pairs':>12}"
          f"{'persons':>9}{'largest':>9}")  # fmt: skip
    rows = [("after import (intake)", scores["intake"]), ("after nightly", scores["nightly"])]
    if reference:
        rows.append(("engine, in process", reference))
    for label, s in rows:
        print(f"  {label:<22}{s['precision']:>10.4f}{s['recall']:>10.4f}{s['f1']:>10.4f}{s['predicted_pairs']:>12}"
              f"{s['true_pairs']:>12}{s['clusters']:>9}{s['largest_cluster']:>9}")  # fmt: skip
    print(f"\n  persons in the truth: {scored['person_id'].nunique()}")
    print(f"  intake vs nightly: {disagreement}")
    print(f"  review queue after import: {state_intake.get('reviews_by_status')}, after nightly: "
          f"{state_nightly.get('reviews_by_status')}")  # fmt: skip
    for stage in ("intake", "nightly"):
        for kind in ("false_links", "missed"):
            e = errors[stage][kind]
            print(f"  {stage:<8} {kind:<12} {e['pairs']:>6}  ids {e['by_id_numbers']}")
    print(f"  intake misses fitting the same-batch pattern: {errors['intake_missed_same_batch']}")
    print("\n  step            seconds   peak MiB")
    for label, s in steps.items():
        print(f"  {label:<14}{s['seconds']:>9.1f}{s['peak_rss_mib']:>11.0f}")

    result = {
        "records": args.records,
        "seed": args.seed,
        "left_out_without_birth_date": int(no_birth.sum()),
        "case_lines_written": len(written),
        "rejected_at_import": rejected,
        "written_not_exported": missing_refs[:50],
        "cases_scored": len(scored),
        "persons_in_truth": int(scored["person_id"].nunique()),
        "scores": {
            "after_import": scores["intake"],
            "after_nightly": scores["nightly"],
            "engine_in_process": reference,
        },
        "intake_vs_nightly": disagreement,
        "errors": errors,
        "database": {"after_import": state_intake, "after_nightly": state_nightly},
        "nightly_counts": nightly_counts(workdir / "nightly.log"),
        "steps": steps,
        "generate_seconds": generate_seconds,
        "workdir": str(workdir),
    }
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        print(f"\nresults in {args.json}")


if __name__ == "__main__":
    main()
