"""Identity-resolution benchmark: pairwise precision/recall/F1, blocking recall, time and memory.

    python -m benchmarks.identity.run --dataset synthetic --records 100000 [--json out.json]
    python -m benchmarks.identity.run --dataset synthetic --records 1000000
    python -m benchmarks.identity.run --dataset febrl4

Synthetic: the engine in cases.lib.linkage, self-trained on the pairs where both records carry a
valid identity number (no truth labels are used). Phones and identity numbers are keyed-hashed
first, as the service stores them. FEBRL4 has other fields, so it has its own adapter below with
the same method: blocking union, comparison levels, logistic regression self-trained on
soc_sec_id agreement (exact = match, far apart = non-match; soc_sec_id left out of the features),
the soc_sec_id evidence weighted afterwards as log(m/u), and a one-to-one assignment (A x B).
A benchmark, not a test: run it on purpose.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from benchmarks.identity import data

HASH_KEY = b"benchmark-only-key"


def peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def pairwise_scores(predicted: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Pairs within predicted clusters against pairs within true clusters (contingency counts)."""

    def pairs(sizes: np.ndarray) -> int:
        sizes = sizes.astype(np.int64)
        return int((sizes * (sizes - 1) // 2).sum())

    both = pd.DataFrame({"p": predicted, "t": truth})
    tp = pairs(both.groupby(["p", "t"]).size().to_numpy())
    pred = pairs(both.groupby("p").size().to_numpy())
    true = pairs(both.groupby("t").size().to_numpy())
    return precision_recall_f1(tp, pred, true)


def precision_recall_f1(tp: int, predicted: int, true: int) -> dict[str, float | int]:
    """Pairwise precision, recall and F1 from pair counts (an empty side scores 1: nothing wrong)."""
    precision = tp / predicted if predicted else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
        "true_pairs": int(true),
        "predicted_pairs": int(predicted),
        "true_positive_pairs": int(tp),
    }


# --------------------------------------------------------------------------------------------
# Synthetic
# --------------------------------------------------------------------------------------------


def synthetic_columns(df: pd.DataFrame) -> dict[str, Any]:
    """The data as the service would hold it: hashed phone and id, partial of invalid ids."""
    from cases.lib import idnumber
    from cases.lib.linkage import id_partial, keyed_hash

    def per_unique(values: pd.Series, fn, label: str) -> list:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        mapped = np.array([fn(u) for u in tqdm(uniques, desc=label, leave=False, mininterval=1)] + [""], dtype=object)
        return mapped[codes].tolist()

    valid = dict.fromkeys(df["id_number"].dropna().unique())
    for number in tqdm(list(valid), desc="validate ids", leave=False, mininterval=1):
        valid[number] = idnumber.is_valid(number)
    return {
        "key": df["record_id"].to_numpy(),
        "name": df["name"].tolist(),
        "birth_date": df["birth_date"].tolist(),
        "sex": df["sex"].tolist(),
        "province": df["province"].tolist(),
        "city": df["city"].fillna("").tolist(),
        "phone_hash": per_unique(df["phone"], lambda v: keyed_hash(v, HASH_KEY), "hash phones"),
        "id_hash": per_unique(df["id_number"], lambda v: keyed_hash(v, HASH_KEY) if valid[v] else "", "hash ids"),
        "id_partial": per_unique(df["id_number"], lambda v: "" if valid[v] else id_partial(v), "partial ids"),
        "hospital": df["hospital"].fillna("").tolist(),
        "category": df["icd10"].fillna("").str[:3].tolist(),
    }


def run_synthetic(args: argparse.Namespace) -> dict[str, Any]:
    from cases.lib.linkage import Resolver

    timings: dict[str, float] = {}
    stages = tqdm(total=4, desc="synthetic", unit="stage")
    t0 = time.perf_counter()
    df = data.synthetic(args.records, seed=args.seed)
    timings["generate"] = round(time.perf_counter() - t0, 2)
    stages.update()
    stages.set_postfix_str("hash and encode")

    t0 = time.perf_counter()
    columns = synthetic_columns(df)
    timings["hash"] = round(time.perf_counter() - t0, 2)
    stages.update()
    stages.set_postfix_str("resolve")

    t0 = time.perf_counter()
    resolver = Resolver(threshold=args.threshold, max_block=args.max_block)
    resolution = resolver.resolve_columns(columns)
    timings["resolve"] = round(time.perf_counter() - t0, 2)
    del columns
    stages.update()
    stages.set_postfix_str("evaluate")

    t0 = time.perf_counter()
    persons = df["person_id"].to_numpy()
    a, b, probability = resolver.last_pairs
    blocking_true = int((persons[a] == persons[b]).sum())
    true_pairs = data.true_pairs(df)
    predicted = np.fromiter((resolution.cluster_of[k] for k in df["record_id"].tolist()), dtype=np.int64, count=len(df))
    scores = pairwise_scores(predicted, persons)
    timings["evaluate"] = round(time.perf_counter() - t0, 2)
    stages.update()
    stages.close()
    if args.write_default_model:
        with open(args.write_default_model, "w", encoding="utf-8") as out:
            json.dump(resolver.model.to_dict(), out, ensure_ascii=False, indent=0)
    return {
        "dataset": "synthetic",
        "records": len(df),
        "persons": int(df["person_id"].nunique()),
        **scores,
        "blocking_recall": round(blocking_true / true_pairs, 5) if true_pairs else 1.0,
        "candidate_pairs": int(len(a)),
        "review_pairs": len(resolution.review),
        "seconds": timings,
        "seconds_linkage_total": round(timings["hash"] + timings["resolve"], 2),
        "engine": resolution.stats,
        "peak_rss_mib": peak_rss_mib(),
    }


# --------------------------------------------------------------------------------------------
# FEBRL4 adapter
# --------------------------------------------------------------------------------------------

FEBRL_STRINGS = ("given_name", "surname", "address_1", "address_2", "suburb")
FEBRL_BLOCKS = ("given_name", "surname", "date_of_birth", "postcode", "soc_sec_id", "suburb", "address_1")


def _febrl_clean(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in (
        "given_name",
        "surname",
        "street_number",
        "address_1",
        "address_2",
        "suburb",
        "postcode",
        "state",
        "date_of_birth",
        "soc_sec_id",
    ):
        out[column] = out[column].fillna("").astype(str).str.strip().str.lower().str.replace(r"\s+", " ", regex=True)
    return out


def _febrl_candidates(a: pd.DataFrame, b: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    parts = []
    nb = len(b)
    for column in FEBRL_BLOCKS:
        left = pd.DataFrame({"k": a[column].to_numpy(), "i": np.arange(len(a))})
        right = pd.DataFrame({"k": b[column].to_numpy(), "j": np.arange(nb)})
        left, right = left[left.k != ""], right[right.k != ""]
        merged = left.merge(right, on="k")
        parts.append(merged["i"].to_numpy(np.int64) * nb + merged["j"].to_numpy(np.int64))
    # Sorted-neighbourhood-like extra key: surname initial + given initial + birth year.
    ka = (a.surname.str[:1] + a.given_name.str[:1] + a.date_of_birth.str[:4]).to_numpy()
    kb = (b.surname.str[:1] + b.given_name.str[:1] + b.date_of_birth.str[:4]).to_numpy()
    merged = pd.DataFrame({"k": ka, "i": np.arange(len(a))}).merge(pd.DataFrame({"k": kb, "j": np.arange(nb)}), on="k")
    parts.append(merged["i"].to_numpy(np.int64) * nb + merged["j"].to_numpy(np.int64))
    encoded = np.unique(np.concatenate(parts))
    return encoded // nb, encoded % nb


def _string_level(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from rapidfuzz import process
    from rapidfuzz.distance import JaroWinkler

    sim = np.asarray(process.cpdist(list(x), list(y), scorer=JaroWinkler.normalized_similarity, workers=-1))
    level = np.select([sim >= 0.999, sim >= 0.92, sim >= 0.8], [1, 2, 3], 4).astype(np.int8)
    level[(x == "") | (y == "")] = 0
    return level


def _edit_level(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    dist = np.asarray(process.cpdist(list(x), list(y), scorer=Levenshtein.distance, workers=-1))
    level = np.select([dist == 0, dist == 1, dist == 2], [1, 2, 3], 4).astype(np.int8)
    level[(x == "") | (y == "")] = 0
    return level


def _febrl_levels(a: pd.DataFrame, b: pd.DataFrame, i: np.ndarray, j: np.ndarray) -> dict[str, np.ndarray]:
    from cases.lib.linkage import compare_birth

    col = lambda frame, c, idx: frame[c].to_numpy(dtype=object)[idx]  # noqa: E731
    levels = {c: _string_level(col(a, c, i), col(b, c, j)) for c in FEBRL_STRINGS}
    swapped = (
        (col(a, "given_name", i) == col(b, "surname", j))
        & (col(a, "surname", i) == col(b, "given_name", j))
        & (col(a, "given_name", i) != "")
    )
    levels["name_swap"] = swapped.astype(np.int8)
    levels["street_number"] = _edit_level(col(a, "street_number", i), col(b, "street_number", j))
    levels["postcode"] = _edit_level(col(a, "postcode", i), col(b, "postcode", j))
    levels["state"] = _edit_level(col(a, "state", i), col(b, "state", j)).clip(0, 2)

    def births(frame, idx):
        s = (
            pd.to_numeric(pd.Series(col(frame, "date_of_birth", idx)), errors="coerce")
            .fillna(0)
            .astype(np.int64)
            .to_numpy()
        )
        return np.where((s > 10**7) & (s < 10**8), s, 0)

    levels["date_of_birth"] = compare_birth(births(a, i), births(b, j))
    levels["soc_sec_id"] = _edit_level(col(a, "soc_sec_id", i), col(b, "soc_sec_id", j))
    return levels


def run_febrl4(args: argparse.Namespace) -> dict[str, Any]:
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    raw_a, raw_b, links = data.febrl4()
    a, b = _febrl_clean(raw_a), _febrl_clean(raw_b)
    timings["load"] = round(time.perf_counter() - t0, 2)

    t0 = time.perf_counter()
    i, j = _febrl_candidates(a, b)
    ids_a, ids_b = a.index.to_numpy(), b.index.to_numpy()
    candidate_set = set(zip(ids_a[i].tolist(), ids_b[j].tolist(), strict=True))
    blocking_recall = len(candidate_set & links) / len(links)
    timings["blocking"] = round(time.perf_counter() - t0, 2)

    t0 = time.perf_counter()
    levels = _febrl_levels(a, b, i, j)
    timings["compare"] = round(time.perf_counter() - t0, 2)

    t0 = time.perf_counter()
    features = [c for c in levels if c != "soc_sec_id"]
    widths = {c: int(levels[c].max()) + 1 for c in levels}
    offsets = np.cumsum([0] + [widths[c] for c in features])
    cols = np.concatenate([levels[c].astype(np.int64) + offsets[k] for k, c in enumerate(features)])
    rows = np.tile(np.arange(len(i)), len(features))
    x = sparse.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(i), int(offsets[-1])))
    ssid = levels["soc_sec_id"]
    # Self-supervision: soc_sec_id exactly equal = match, three or more edits apart = non-match.
    labelled = (ssid == 1) | (ssid == 4)
    clf = LogisticRegression(C=10.0, max_iter=2000).fit(x[labelled], (ssid[labelled] == 1).astype(int))
    log_odds = clf.decision_function(x)
    # soc_sec_id weights: log(m/u) from confident matches / non-matches of the other fields.
    k = widths["soc_sec_id"]
    m = np.bincount(ssid[log_odds > 4.6], minlength=k) + 1.0
    u = np.bincount(ssid[log_odds < -4.6], minlength=k) + 1.0
    ssid_weight = np.clip(np.log((m / m.sum()) / (u / u.sum())), -8, 8)
    ssid_weight[0] = 0.0
    # The labelled set's prevalence (exact ssid) overstates matches; the added evidence corrects it
    # only where ssid disagrees, so subtract the exact-level weight's share of the intercept bias:
    # in practice, combine and let the one-to-one step and threshold decide.
    total = log_odds + ssid_weight[ssid]
    probability = 1 / (1 + np.exp(-np.clip(total, -50, 50)))
    timings["train_score"] = round(time.perf_counter() - t0, 2)

    t0 = time.perf_counter()
    # One-to-one: greedy by descending probability (each A and each B record used once).
    order = np.argsort(-probability, kind="stable")
    used_a, used_b = np.zeros(len(a), dtype=bool), np.zeros(len(b), dtype=bool)
    chosen = []
    for k in order:
        if probability[k] < args.threshold:
            break
        if used_a[i[k]] or used_b[j[k]]:
            continue
        used_a[i[k]] = used_b[j[k]] = True
        chosen.append(k)
    predicted = {(ids_a[i[k]], ids_b[j[k]]) for k in chosen}
    timings["assign"] = round(time.perf_counter() - t0, 2)
    tp = len(predicted & links)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(links)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "dataset": "febrl4",
        "records": len(a) + len(b),
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
        "true_pairs": len(links),
        "predicted_pairs": len(predicted),
        "true_positive_pairs": tp,
        "blocking_recall": round(blocking_recall, 5),
        "candidate_pairs": int(len(i)),
        "labelled_pairs": int(labelled.sum()),
        "labelled_matches": int((ssid == 1).sum()),
        "soc_sec_id_weights": [round(float(w), 3) for w in ssid_weight],
        "seconds": timings,
        "seconds_linkage_total": round(sum(v for s, v in timings.items() if s != "load"), 2),
        "peak_rss_mib": peak_rss_mib(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("synthetic", "febrl4"), default="synthetic")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--max-block", type=int, default=300)
    parser.add_argument("--json", help="write the result here")
    parser.add_argument("--write-default-model", help="(synthetic) save the self-trained model as JSON")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = run_synthetic(args) if args.dataset == "synthetic" else run_febrl4(args)
    result["seconds_wall"] = round(time.perf_counter() - started, 2)
    result["peak_rss_mib"] = peak_rss_mib()
    text = json.dumps(result, indent=2, ensure_ascii=False, default=str)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            out.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
