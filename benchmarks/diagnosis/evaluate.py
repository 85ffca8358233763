"""Top-1 accuracy of the diagnosis normaliser on the labelled evaluation set, by ICD-10 category.

    python -m benchmarks.diagnosis.evaluate [--threshold 0.45] [--misses 30]

Trains the normaliser on the disease library's names and synonyms only, then reads every free
text of `eval_set.csv` (kept apart from those names: rows identical to one are reported and left
out). A row whose category the library covers counts as right when the best entry's codes cover
that category; a row the library does not cover counts as right when it falls below the
threshold (the case would get `unknown_diagnosis`).
"""

from __future__ import annotations

import argparse
import hashlib
from collections import Counter, defaultdict

from benchmarks.diagnosis import load_eval_set, overlapping
from cases.lib import disease_library
from cases.lib.diagnosis import DEFAULT_THRESHOLD, Name, Normaliser


def half(text: str) -> str:
    """A stable split of the set: rules are improved on the dev half, accuracy is reported on both."""
    return "dev" if hashlib.sha256(text.encode()).digest()[0] % 2 == 0 else "test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--misses", type=int, default=30, help="how many wrong rows to print (dev half only)")
    parser.add_argument("--half", choices=("dev", "test", "all"), default="all",
                        help="dev: the half looked at while improving; test: the other half")  # fmt: skip
    args = parser.parse_args()

    entries = disease_library.load()
    names = [Name(e.key, n) for e in entries for n in (*e.names(), e.name_en) if n]
    normaliser = Normaliser(names, threshold=args.threshold)
    categories = {e.key: {c[:3] for c in disease_library.codes_of(e)} for e in entries}
    covered = set().union(*categories.values())

    examples = load_eval_set()
    copies = {ex.text for ex in overlapping(examples, [n.text for n in names])}
    examples = [ex for ex in examples if ex.text not in copies and args.half in ("all", half(ex.text))]
    matches = normaliser.match_many(ex.text for ex in examples)

    right: Counter = Counter()
    total: Counter = Counter()
    misses = []
    for example, match in zip(examples, matches, strict=True):
        category = example.icd10_category
        if category in covered:
            ok = normaliser.known(match) and category in categories[match.key]
        else:
            ok = not normaliser.known(match)
        group = category if category in covered else "(not in library)"
        total[group] += 1
        right[group] += ok
        if not ok:
            misses.append((example, match))

    in_library = sum(total[c] for c in total if c != "(not in library)")
    right_in = sum(right[c] for c in total if c != "(not in library)")
    print(f"library {disease_library.VERSION}: {len(entries)} entries, {len(names)} names; eval rows {len(examples)}"
          f" ({len(copies)} identical to a library name left out)")  # fmt: skip
    print(f"top-1 accuracy, categories the library covers: {right_in}/{in_library} = {right_in / in_library:.3f}")
    outside = total["(not in library)"]
    if outside:
        print(f"flagged unknown, categories it does not cover: {right['(not in library)']}/{outside}")
    by_category = defaultdict(list)
    for category in sorted(total):
        by_category[f"{right[category] / total[category]:.2f}"].append(f"{category}({total[category]})")
    for share in sorted(by_category):
        print(f"  {share}: {' '.join(by_category[share])}")
    for example, match in [m for m in misses if half(m[0].text) == "dev"][: args.misses]:
        got = f"{match.key} {match.confidence:.2f} via {match.matched!r}" if match else "nothing"
        print(f"  miss: {example.text!r} [{example.icd10_category}] -> {got}")


if __name__ == "__main__":
    main()
