"""Top-1 accuracy of the diagnosis normaliser on the labelled evaluation set, by ICD-10 category.

    python -m benchmarks.diagnosis.evaluate [--half dev|test|all] [--threshold T] [--misses N]
                                            [--show-test-misses] [--chart PATH.svg]

Trains the normaliser on the disease library's names and synonyms only (the set is kept apart:
a row whose text equals a library name, or a name as clean() folds it, stops the run), then reads
every free text of `eval_set.csv`. A row is right when the code the normaliser returns lies in the
row's ICD-10 category and its confidence reaches the threshold; every other row is wrong, including
a row whose category no library entry covers and a row below the threshold. Accuracy is also shown
over the covered rows only (categories some entry's codes reach) and by writer (hospital, family).

`outside.csv` holds texts the library does not cover (nonsense, "待查", common minor illnesses and
benign near-misses of library diseases); the share of them below the threshold is reported too.
Both files are split in halves by a hash of the text: the dev half is the one looked at while the
normaliser was improved and the threshold chosen; the test half only for reporting.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import time
from collections import Counter, defaultdict
from pathlib import Path

from benchmarks.diagnosis import (
    SETS,
    WRITERS,
    load_eval_set,
    normalise_for_overlap,
    overlapping,
)
from cases.lib import disease_library
from cases.lib.diagnosis import DEFAULT_THRESHOLD, Normaliser, clean, load_codes, training_names

OUTSIDE = Path(__file__).with_name("outside.csv")
PROBES = Path(__file__).with_name("probes.csv")
HALVES = ("dev", "test")


def half(text: str) -> str:
    """A stable split of the set: rules are improved on the dev half, accuracy is reported on both."""
    return "dev" if hashlib.sha256(text.encode()).digest()[0] % 2 == 0 else "test"


def load_outside(path: Path = OUTSIDE) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def training_texts(entries, codes) -> list[str]:
    """Every library name the normaliser learns, raw and as clean() folds it."""
    names = [n.text for n in training_names(entries, codes)]
    return names + [clean(n) for n in names]


def takes_entry(normaliser: Normaliser, match) -> bool:
    """Whether a reading gives a library entry: confident and not a code alone (子宫肌瘤 is D25, no entry)."""
    return normaliser.known(match) and bool(match.key)


def choose_threshold(right_confidences: list[float], outside_confidences: list[float]) -> float:
    """The middle of the widest interval of thresholds that keeps the most dev rows right and outside texts below.

    A threshold t keeps a right row when its confidence is >= t and an outside text when its
    confidence is < t; the score only changes at the observed confidences, so the candidate
    intervals lie between consecutive distinct confidences (and 0 and 1).
    """
    points = sorted({0.0, 1.0, *right_confidences, *outside_confidences})
    best, chosen = -1, (0.0, 1.0)
    for low, high in itertools.pairwise(points):
        t = (low + high) / 2
        score = sum(c >= t for c in right_confidences) + sum(c < t for c in outside_confidences)
        if score > best or (score == best and high - low > chosen[1] - chosen[0]):
            best, chosen = score, (low, high)
    return round((chosen[0] + chosen[1]) / 2, 2)


def bar_chart(path: Path, bars: list[tuple[str, float, int]], title: str) -> None:
    """A small hand-written SVG bar chart: (label, accuracy, rows) per bar, with the 0.95 goal drawn."""
    width, height, left, bottom, top = 120 + 90 * len(bars), 320, 50, 60, 40
    plot = height - bottom - top

    def y(value: float) -> float:
        return top + plot * (1 - value)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="12">',
        f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<line x1="{left}" x2="{width - 20}" y1="{y(tick)}" y2="{y(tick)}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4}" text-anchor="end">{tick:.2f}</text>')
    parts.append(f'<line x1="{left}" x2="{width - 20}" y1="{y(0.95)}" y2="{y(0.95)}" stroke="#c33" '
                 'stroke-dasharray="4 3"/>')  # fmt: skip
    parts.append(f'<text x="{width - 20}" y="{y(0.95) - 4}" text-anchor="end" fill="#c33">goal 0.95</text>')
    for i, (label, value, rows) in enumerate(bars):
        x = left + 20 + 90 * i
        colour = "#4a7ebb" if label.startswith("dev") else "#7a9e3b"
        parts.append(f'<rect x="{x}" y="{y(value)}" width="60" height="{plot * value}" fill="{colour}"/>')
        parts.append(f'<text x="{x + 30}" y="{y(value) - 4}" text-anchor="middle">{value:.3f}</text>')
        for line, text in enumerate(label.split(" ")):
            parts.append(
                f'<text x="{x + 30}" y="{height - bottom + 16 + 14 * line}" text-anchor="middle">{text}</text>'
            )
        parts.append(f'<text x="{x + 30}" y="{height - 8}" text-anchor="middle" fill="#666">n={rows}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--misses", type=int, default=40, help="how many wrong rows to print")
    parser.add_argument("--show-test-misses", action="store_true", help="print test-half mistakes too")
    parser.add_argument("--half", choices=("dev", "test", "all"), default="all",
                        help="dev: the half looked at while improving; test: the other half")  # fmt: skip
    parser.add_argument("--set", choices=tuple(SETS), default="eval",
                        help="eval: eval_set.csv; fresh, blind, panel, ward, route and intake: the sets of that name, "
                             "each written blind afterwards by other hands")  # fmt: skip
    parser.add_argument("--chart", type=Path, help="write an SVG bar chart of accuracy per half and writer")
    args = parser.parse_args()

    entries = disease_library.load()
    codes = load_codes(entries)
    started = time.perf_counter()
    normaliser = Normaliser(entries, codes=codes, threshold=args.threshold)
    built = time.perf_counter() - started
    covered = {code[:3] for entry in entries for code in disease_library.codes_of(entry)}

    examples = load_eval_set(SETS[args.set])
    trained = training_texts(entries, codes)
    copies = overlapping(examples, trained)
    if copies and args.set != "eval":
        # Written blind, a few texts happen to be a library name word for word: not held out, so not counted.
        print(f"{len(copies)} {args.set} texts equal a library name and are left out: {[c.text for c in copies]}")
        examples = [ex for ex in examples if ex not in copies]
    elif copies:
        raise SystemExit(f"{len(copies)} evaluation texts equal a training name: {[c.text for c in copies][:10]}")
    # … or a name of the terms file, written afterwards by another hand: not held out either
    named = overlapping(examples, [n for t in normaliser.terms for n in t.names])
    if named:
        print(f"{len(named)} {args.set} texts equal a terms file name and are left out: {[c.text for c in named]}")
        examples = [ex for ex in examples if ex not in named]
    halves = HALVES if args.half == "all" else (args.half,)
    examples = [ex for ex in examples if half(ex.text) in halves]

    started = time.perf_counter()
    matches = normaliser.match_many(ex.text for ex in examples)
    batch_ms = 1000 * (time.perf_counter() - started) / max(len(examples), 1)
    started = time.perf_counter()
    for ex in examples[:100]:
        normaliser.match(ex.text)
    single_ms = 1000 * (time.perf_counter() - started) / max(min(len(examples), 100), 1)

    total: Counter = Counter()
    right: Counter = Counter()
    below: Counter = Counter()
    misses = []
    right_confidences = defaultdict(list)
    by_category = defaultdict(Counter)
    for example, match in zip(examples, matches, strict=True):
        h, category = half(example.text), example.icd10_category
        known = normaliser.known(match)
        ok = known and match.category == category
        groups = [h, f"{h} {example.writer}"] + ([f"{h} covered"] if category in covered else [])
        for group in groups:
            total[group] += 1
            right[group] += ok
            below[group] += not known
        if args.show_test_misses or h == "dev":
            by_category[category]["rows"] += 1
            by_category[category]["right"] += ok
        if match and match.category == category:
            right_confidences[h].append(match.confidence)
        if not ok:
            misses.append((example, match))

    print(f"library {disease_library.VERSION}: {len(entries)} entries, {len(normaliser.classes)} classes "
          f"(entry, code); {len(codes)} code rules; built in {built:.1f} s")  # fmt: skip
    print(f"latency per text: {single_ms:.2f} ms one at a time, {batch_ms:.2f} ms in a batch")
    print(f"evaluation rows {len(examples)}; 0 equal a training name; threshold {args.threshold}")
    print("top-1 accuracy by ICD-10 category (right: the returned code is in the row's category and confident)")
    bars = []
    for h in halves:
        covered_rows, covered_right = total[f"{h} covered"], right[f"{h} covered"]
        print(f"  {h:<5} all rows {right[h]}/{total[h]} = {right[h] / total[h]:.3f}; covered rows "
              f"{covered_right}/{covered_rows} = {covered_right / max(covered_rows, 1):.3f}; "
              f"below threshold {below[h]}/{total[h]} = {below[h] / total[h]:.3f}")  # fmt: skip
        bars.append((f"{h} all", right[h] / total[h], total[h]))
        for writer in WRITERS:
            group = f"{h} {writer}"
            if total[group]:
                print(f"        {writer:<8} {right[group]}/{total[group]} = {right[group] / total[group]:.3f}")
                bars.append((group, right[group] / total[group], total[group]))

    outside = [row for row in load_outside() if half(row["text"]) in halves]
    outside_matches = normaliser.match_many(row["text"] for row in outside)
    names = {normalise_for_overlap(n) for n in trained}
    print("texts outside the library (outside.csv), share given no entry (below the threshold, or a code alone):")
    for h in halves:
        rows = [(r, m) for r, m in zip(outside, outside_matches, strict=True) if half(r["text"]) == h]
        low = sum(not takes_entry(normaliser, m) for _, m in rows)
        print(f"  {h:<5} {low}/{len(rows)} = {low / max(len(rows), 1):.3f}")
        for r, m in rows:
            if takes_entry(normaliser, m):
                print(f"        above: {r['text']!r} ({r['kind']}) -> {m.code} {m.key} {m.confidence:.2f}")
    if outside_matches:
        leaked = [r["text"] for r in outside if normalise_for_overlap(r["text"]) in names]
        print(f"  outside texts equal to a library name: {len(leaked)}")
    dev_outside = [m.confidence if m and m.key else 0.0 for r, m in zip(outside, outside_matches, strict=True)
                   if half(r["text"]) == "dev"]  # fmt: skip
    probes = load_eval_set(PROBES)
    probe_matches = normaliser.match_many(p.text for p in probes)
    probe_right = [
        m.confidence for p, m in zip(probes, probe_matches, strict=True) if m and m.category == p.icd10_category
    ]
    probe_ok = sum(
        normaliser.known(m) and m.category == p.icd10_category for p, m in zip(probes, probe_matches, strict=True)
    )
    print(f"probes.csv (extra dev texts): {probe_ok}/{len(probes)} = {probe_ok / len(probes):.3f}")
    if "dev" in halves:
        chosen = choose_threshold(right_confidences["dev"] + probe_right, dev_outside)
        print(f"threshold the dev half chooses (middle of the widest best interval): {chosen}")

    weak = sorted(c for c in by_category if by_category[c]["right"] < by_category[c]["rows"])
    if weak:
        print("categories with a wrong row (dev; with --show-test-misses, both halves): " + " ".join(
            f"{c}({by_category[c]['right']}/{by_category[c]['rows']})" for c in weak))  # fmt: skip
    shown = [m for m in misses if args.show_test_misses or half(m[0].text) == "dev"]
    for example, match in shown[: args.misses]:
        got = f"{match.code} {match.key} {match.confidence:.2f} via {match.matched!r}" if match else "nothing"
        print(f"  miss ({half(example.text)}): {example.text!r} [{example.icd10_category}] -> {got}")
    hidden = len(misses) - len(shown)
    if hidden:
        print(f"  ({hidden} test-half mistakes not shown; --show-test-misses prints them)")

    if args.chart:
        bar_chart(args.chart, bars, f"Diagnosis normaliser top-1 accuracy (threshold {args.threshold})")
        print(f"chart written to {args.chart}")


if __name__ == "__main__":
    main()
