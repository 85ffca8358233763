"""Calibrate the target check: false flags on honest amounts, catches on grossly inflated ones.

    python -m benchmarks.plausibility.run [--seed 20261124] [--svg benchmarks/plausibility/plausibility.svg]

Draws honest applications with a known true out-of-pocket need (benchmarks/plausibility/population.py,
which does not use the cost formula), then inflated copies of each: the amount set to 2, 3, 5 and 10
times the true need. "Grossly inflated" means at least 3 times. For every multiplier k on a grid it
counts the honest amounts the rule "amount > k x highest_oop" (cases.lib.costs) flags and the
inflated ones it catches; prints the tables, per channel and disease group, at the chosen k
(cases.lib.costs.FLAG_MULTIPLIER); and writes an SVG chart of both curves. It then runs the same
check over the demo generator's case lines (cases.lib.synthetic.generate).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from pathlib import Path

from benchmarks.plausibility.population import SCENARIOS_BY_KEY, Case, Generator, inflate
from cases.lib import costs, disease_library, icd10

SIZES = {"crowdfunding": 27_500, "foundation_aid": 15_000, "pap": 7_500}  # 55/30/15, the demo's channel mix
MULTIPLIERS = (Decimal(2), Decimal(3), Decimal(5), Decimal(10))
GROSS = Decimal(3)  # "grossly inflated": at least this many times the true need
GRID = tuple(Decimal(n) / 4 for n in range(4, 33))  # k from 1 to 8 in steps of 0.25
CI_ABLATION_FLOOR = Decimal(10_000)
TARGET_FALSE_FLAG = 0.02
TARGET_CATCH = 0.95
DEFAULT_SVG = Path(__file__).with_name("plausibility.svg")


@dataclass
class Checked:
    case: Case
    estimate: costs.CostEstimate
    bound: Decimal
    honest_ratio: Decimal
    inflated_ratio: dict[Decimal, Decimal]


class Library:
    def __init__(self) -> None:
        self.entries = disease_library.load()
        self._by_code: dict[str, disease_library.Entry | None] = {}

    def find(self, code: str) -> disease_library.Entry | None:
        if code not in self._by_code:
            self._by_code[code] = disease_library.find_by_code(self.entries, code)
        return self._by_code[code]


def measure(cases: Iterable[Case], library: Library, seed: int) -> tuple[list[Checked], Counter]:
    rng = random.Random(seed + 1)
    checked: list[Checked] = []
    unchecked: Counter = Counter()
    for case in cases:
        entry = library.find(case.code)
        if entry is None:
            unchecked[(case.channel, case.scenario, case.code)] += 1
            continue
        estimate = costs.estimate(
            entry=entry,
            hospital_level=case.hospital_level,
            insurance=case.insurance,
            critical_illness_payout=case.ci_payout,
            code=case.code,
        )
        bound = estimate.highest_oop
        inflated = {m: inflate(rng, case, m) / bound for m in MULTIPLIERS}
        checked.append(Checked(case, estimate, bound, case.amount / bound, inflated))
    return checked, unchecked


def rate(ratios: Sequence[Decimal], k: Decimal) -> float:
    """Share of sorted ratios above k (flagged)."""
    return (len(ratios) - bisect_right(ratios, k)) / len(ratios) if ratios else float("nan")


def flagged_share(rows: Sequence[Checked], k: Decimal, multiplier: Decimal | None = None) -> float:
    if not rows:
        return float("nan")
    if multiplier is None:
        return sum(r.honest_ratio > k for r in rows) / len(rows)
    return sum(r.inflated_ratio[multiplier] > k for r in rows) / len(rows)


def pct(value: float) -> str:
    return "   -  " if value != value else f"{100 * value:5.1f}%"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    rows = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            for r in rows]  # fmt: skip
    return "\n".join(out)


def money(value: float | Decimal) -> str:
    return f"{int(value):,}"


# -- the honest population: does it look like the published figures? ------------------------------


def describe_population(cases: Sequence[Case]) -> None:
    from cases.lib.synthetic import DISEASES_BY_KEY

    print("\n## The honest population against its references\n")
    by_insurance: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_insurance[case.insurance].append(case)
    domain = {"employee": "75.6%", "resident": "59.7%", "none": "0"}
    headers = ("insurance", "cases", "fund share, base treatment", "seeds/004 (inpatient)", "fund share, all medical")
    print(table(headers,
                [(ins, len(rows), pct(statistics.fmean(c.base_fund_share for c in rows)), domain[ins],
                  pct(statistics.fmean(c.fund_share for c in rows)))
                 for ins, rows in sorted(by_insurance.items())]))  # fmt: skip
    print("\nTrue out-of-pocket need by disease group (all channels; CNY):\n")
    groups: dict[str, list[Decimal]] = defaultdict(list)
    for case in cases:
        if case.channel != "pap":
            groups[case.group].append(case.need)
    rows = []
    for group, needs in sorted(groups.items()):
        q = statistics.quantiles(needs, n=20)
        rows.append((group, len(needs), money(q[1]), money(statistics.median(needs)), money(q[18])))
    print(table(("group", "cases", "p10", "median", "p95"), rows))
    print("\nHonest crowdfunding targets against the demo generator's target range (cases.lib.synthetic DISEASES):\n")
    by_key: dict[str, list[Decimal]] = defaultdict(list)
    for case in cases:
        if case.channel == "crowdfunding":
            by_key[case.scenario].append(case.amount)
    rows = []
    for key, amounts in sorted(by_key.items(), key=lambda kv: -len(kv[1])):
        low, high = DISEASES_BY_KEY[key].target
        within = sum(low <= a <= high for a in amounts) / len(amounts)
        above = sum(a > high for a in amounts) / len(amounts)
        q = statistics.quantiles(amounts, n=10) if len(amounts) > 1 else [amounts[0]] * 9
        rows.append((key, len(amounts), f"{money(low)}-{money(high)}", money(q[0]), money(statistics.median(amounts)),
                     money(q[8]), pct(within), pct(above)))  # fmt: skip
    print(table(("disease", "n", "demo range", "p10", "median", "p90", "in range", "above"), rows))


# -- the measurement ---------------------------------------------------------------------------------


def grid_table(checked: Sequence[Checked]) -> tuple[list[tuple], dict]:
    honest = sorted(r.honest_ratio for r in checked)
    inflated = {m: sorted(r.inflated_ratio[m] for r in checked) for m in MULTIPLIERS}
    rows = []
    curves: dict[str, list[tuple[float, float]]] = {"honest": []} | {f"{m}x": [] for m in MULTIPLIERS}
    for k in GRID:
        h = rate(honest, k)
        rows.append((k, h, *(rate(inflated[m], k) for m in MULTIPLIERS)))
        curves["honest"].append((float(k), h))
        for m in MULTIPLIERS:
            curves[f"{m}x"].append((float(k), rate(inflated[m], k)))
    return rows, curves


def worst_group(checked: Sequence[Checked], k: Decimal, min_cases: int = 200) -> tuple[str, float]:
    by_group: dict[tuple[str, str], list[Checked]] = defaultdict(list)
    for r in checked:
        by_group[(r.case.channel, r.case.group)].append(r)
    worst = max(((f"{c} / {g}", flagged_share(rows, k)) for (c, g), rows in by_group.items() if len(rows) >= min_cases),
                key=lambda item: item[1])  # fmt: skip
    return worst


def breakdown(checked: Sequence[Checked], k: Decimal, key) -> list[tuple]:
    groups: dict[str, list[Checked]] = defaultdict(list)
    for r in checked:
        groups[key(r)].append(r)
    rows = []
    for name, rs in sorted(groups.items()):
        rows.append((name, len(rs), pct(flagged_share(rs, k)), *(pct(flagged_share(rs, k, m)) for m in MULTIPLIERS)))
    return rows


def catch_by_inflation(checked: Sequence[Checked], k: Decimal, seed: int) -> list[tuple[Decimal, float]]:
    """Catch rate at k for inflation multipliers 2..40: where does it reach 95%?"""
    rng = random.Random(seed + 2)
    out = []
    for m in (Decimal(n) for n in (2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 40)):
        caught = sum(inflate(rng, r.case, m) > k * r.bound for r in checked)
        out.append((m, caught / len(checked)))
    return out


# -- the demo generator -------------------------------------------------------------------------------


def demo(library: Library, cases: int, k: Decimal) -> None:
    from cases.lib.synthetic import DISEASES, generate

    targets_by_text: dict[str, int] = {}
    for disease in DISEASES:
        for text, _code in disease.variants:
            targets_by_text[text] = max(targets_by_text.get(text, 0), disease.target[1])
    counts: dict[str, Counter] = defaultdict(Counter)
    reasons = []
    for line in generate(cases=cases):
        if line.get("kind") != "case":
            continue
        channel = line["channel"]
        c = counts[channel]
        c["lines"] += 1
        code = line["diagnosis"].get("icd10")
        amount = Decimal(line["request"]["amount"])
        inflated = channel == "crowdfunding" and amount > targets_by_text[line["diagnosis"]["text"]]
        c["inflated lines"] += inflated
        if not code:
            c["no code"] += 1
            c["inflated, not checkable"] += inflated
            continue
        entry = library.find(code)
        if entry is None:
            c["code not in library"] += 1
            c["inflated, not checkable"] += inflated
            continue
        insurance = line["insurance"]
        estimate = costs.estimate(
            entry=entry,
            hospital_level=line["diagnosis"].get("hospital_level"),
            insurance=insurance["basic"],
            critical_illness_payout=Decimal(insurance["critical_illness_payout"])
            if "critical_illness_payout" in insurance
            else None,
            code=icd10.normalise(code),
        )
        check = costs.amount_check(amount, estimate, what="target" if channel == "crowdfunding" else "request",
                                   multiplier=k)  # fmt: skip
        c["checked"] += 1
        # Ablation: the same check if the bound subtracted the declared payout (floored at 10,000).
        payout = Decimal(insurance.get("critical_illness_payout", "0"))
        flagged_if_payout_counted = amount > k * max(estimate.highest_oop - payout, CI_ABLATION_FLOOR)
        if inflated:
            c["inflated checked"] += 1
            c["inflated caught"] += check.flagged
        else:
            c["honest checked"] += 1
            c["honest flagged"] += check.flagged
            c["honest flagged if payout counted"] += flagged_if_payout_counted
            if check.flagged and len(reasons) < 8:
                reasons.append(f"{line['ref']}: {check.reason}")
    rows = []
    total: Counter = Counter()
    for channel, c in sorted(counts.items()):
        total.update(c)
        rows.append(_demo_row(channel, c))
    rows.append(_demo_row("all", total))
    print(table(("channel", "lines", "no code", "not in library", "checked", "honest flagged", "inflated caught",
                 "inflated unchecked"), rows))  # fmt: skip
    print(f"\nIf the bound subtracted the declared critical-illness payout (ablation): honest lines flagged "
          f"{total['honest flagged if payout counted']}/{total['honest checked']} "
          f"({pct(total['honest flagged if payout counted'] / total['honest checked']).strip()}), against "
          f"{total['honest flagged']} as built.")  # fmt: skip
    if reasons:
        print("\nHonest demo lines flagged (first few):")
        for reason in reasons:
            print("  " + reason)


def _demo_row(name: str, c: Counter) -> tuple:
    honest = f"{c['honest flagged']}/{c['honest checked']} ({pct(c['honest flagged'] / c['honest checked'])})"
    caught = (
        f"{c['inflated caught']}/{c['inflated checked']} ({pct(c['inflated caught'] / c['inflated checked'])})"
        if c["inflated checked"]
        else "-"
    )
    return (name, c["lines"], c["no code"], c["code not in library"], c["checked"], honest, caught,
            c["inflated, not checkable"])  # fmt: skip


# -- the chart ------------------------------------------------------------------------------------


CURVE_STYLES = {
    "honest": ("#c0392b", 3, "honest amounts"),
    "2x": ("#9ecae1", 2, "2× the true need"),
    "3x": ("#2171b5", 3, "3× (grossly inflated)"),
    "5x": ("#08519c", 2, "5× the true need"),
    "10x": ("#6a51a3", 1.5, "10× the true need"),
}


def svg(curves: dict[str, list[tuple[float, float]]], chosen: Decimal, worst: tuple[str, float]) -> str:
    """Two panels over the same k axis: inflated amounts caught (0-100%), honest amounts flagged (zoomed)."""
    width, left, right, panel_h, gap = 880, 70, 260, 240, 70
    plot_w = width - left - right
    tops = (50, 50 + panel_h + gap)
    height = tops[1] + panel_h + 60
    xs = [x for x, _ in curves["honest"]]
    x0, x1 = min(xs), max(xs)
    honest_top = max(0.05, math.ceil(max(y for _, y in curves["honest"]) * 20) / 20)  # zoom, to a 5% step
    panels = (
        ("inflated amounts caught (share flagged)", [n for n in curves if n != "honest"], 1.0, 0.1,
         (TARGET_CATCH, "95% catch target")),
        ("honest amounts flagged (false flags; axis zoomed)", ["honest"], honest_top, 0.01,
         (TARGET_FALSE_FLAG, "2% false-flag target")),
    )  # fmt: skip

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * plot_w

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           f'font-size="12"><rect width="100%" height="100%" fill="white"/>',
           '<text x="70" y="24" font-size="15" font-weight="bold">Flag rate of the rule "amount &gt; k × '
           'highest plausible out-of-pocket", by k</text>']  # fmt: skip
    at_chosen = {name: dict(points)[float(chosen)] for name, points in curves.items()}
    for (title, names, y_max, step, (target, target_label)), top in zip(panels, tops, strict=True):

        def py(y: float, top: int = top, y_max: float = y_max) -> float:
            return top + (1 - min(y, y_max) / y_max) * panel_h

        out.append(f'<text x="{left}" y="{top - 10}" font-weight="bold">{escape(title)}</text>')
        ticks = round(y_max / step)
        for i in range(ticks + 1):
            value = i * step
            if y_max > 0.2 or i % max(1, ticks // 10) == 0:
                y = py(value)
                out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e5e5"/>')
                out.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{100 * value:.0f}%</text>')
        for tick in range(int(x0), int(x1) + 1):
            x = px(tick)
            out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + panel_h}" stroke="#eeeeee"/>')
            out.append(f'<text x="{x:.1f}" y="{top + panel_h + 16}" text-anchor="middle">{tick}</text>')
        y = py(target)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#777" '
                   f'stroke-dasharray="5 4"/>')  # fmt: skip
        out.append(f'<text x="{left + plot_w - 4}" y="{y - 5:.1f}" text-anchor="end" fill="#555">'
                   f'{escape(target_label)}</text>')  # fmt: skip
        for n, name in enumerate(names):
            colour, stroke, label = CURVE_STYLES[name]
            path = " ".join(f"{'L' if i else 'M'}{px(x):.1f},{py(y):.1f}" for i, (x, y) in enumerate(curves[name]))
            out.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{stroke}"/>')
            ly = top + 10 + n * 20
            out.append(f'<line x1="{left + plot_w + 14}" y1="{ly}" x2="{left + plot_w + 36}" y2="{ly}" '
                       f'stroke="{colour}" stroke-width="{stroke}"/>')  # fmt: skip
            value = f"{100 * at_chosen[name]:.1f}%"
            out.append(f'<text x="{left + plot_w + 42}" y="{ly + 4}">{escape(label)}: {value}</text>')
        x = px(float(chosen))
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + panel_h}" stroke="black" '
                   f'stroke-width="1.5"/>')  # fmt: skip
    legend_y = tops[1] + 10 + 2 * 20
    notes = (f"at the chosen k = {chosen} (black line);", "rates on the right are at that k;",
             f"worst channel/group for honest: {100 * worst[1]:.1f}%", f"({worst[0]})")  # fmt: skip
    for i, text in enumerate(notes):
        out.append(f'<text x="{left + plot_w + 14}" y="{legend_y + 16 * i}" fill="#333">{escape(text)}</text>')
    out.append(f'<text x="{left + plot_w / 2}" y="{height - 14}" text-anchor="middle">k: flag when the amount is '
               f'above k times the highest plausible out-of-pocket</text>')  # fmt: skip
    out.append("</svg>")
    return "\n".join(out) + "\n"


# -- main --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the population sizes")
    parser.add_argument("--demo-cases", type=int, nargs="+", default=[2_000, 20_000],
                        help="sizes of cases.lib.synthetic.generate() runs (2,000 is the demo's default)")  # fmt: skip
    parser.add_argument("--svg", type=Path, default=DEFAULT_SVG)
    args = parser.parse_args()
    started = time.perf_counter()
    chosen = costs.FLAG_MULTIPLIER

    generator = Generator(args.seed)
    cases = [case for channel, size in SIZES.items() for case in generator.cases(channel, int(size * args.scale))]
    library = Library()
    checked, unchecked = measure(cases, library, args.seed)

    print(f"# Plausibility of amounts asked: formula {costs.FORMULA_VERSION}, chosen k = {chosen}, seed {args.seed}")
    per_channel = ", ".join(f"{c} {n:,}" for c, n in Counter(x.channel for x in cases).items())
    print(f"\nHonest cases drawn: {len(cases):,} ({per_channel}); checked {len(checked):,}; "
          f"code not in the disease library (cannot be checked): {sum(unchecked.values()):,}")  # fmt: skip
    for (channel, scenario, code), n in sorted(unchecked.items()):
        print(f"  {channel:15} {scenario:18} {code:6} {n:6,}")
    describe_population(cases)

    print("\n## Flag rate by k (all channels)\n")
    rows, curves = grid_table(checked)
    print(table(("k", "honest flagged", *(f"{m}x caught" for m in MULTIPLIERS)),
                [(k, pct(h), *(pct(v) for v in vs)) for k, h, *vs in rows]))  # fmt: skip
    candidates = [k for k, h, *_ in rows if h < TARGET_FALSE_FLAG]
    meets_groups = [k for k in candidates if worst_group(checked, k)[1] < 0.05]
    print(f"\nSmallest k with honest false flags under {pct(TARGET_FALSE_FLAG).strip()} overall: "
          f"{candidates[0] if candidates else 'none'}; also under 5% in every channel and group of 200+ cases: "
          f"{meets_groups[0] if meets_groups else 'none'}.")  # fmt: skip
    both = [k for k, h, _, c3, *_ in rows if h < TARGET_FALSE_FLAG and c3 >= TARGET_CATCH]
    print(f"k meeting both targets (false flags < 2% and 3x caught >= 95%): {both or 'none'}")

    worst = worst_group(checked, chosen)
    print(f"\n## At the chosen k = {chosen}\n")
    print(table(("channel / group", "n", "honest flagged", *(f"{m}x caught" for m in MULTIPLIERS)),
                breakdown(checked, chosen, lambda r: f"{r.case.channel} / {r.case.group}")))  # fmt: skip
    print()
    print(table(("channel", "n", "honest flagged", *(f"{m}x caught" for m in MULTIPLIERS)),
                breakdown(checked, chosen, lambda r: r.case.channel)
                + breakdown(checked, chosen, lambda r: "all")))  # fmt: skip
    print()
    print(table(("how the honest amount was set", "n", "honest flagged", *(f"{m}x caught" for m in MULTIPLIERS)),
                breakdown(checked, chosen, lambda r: r.case.basis)))  # fmt: skip
    print()
    print(table(("insurance", "n", "honest flagged", *(f"{m}x caught" for m in MULTIPLIERS)),
                breakdown(checked, chosen, lambda r: r.case.insurance + (" + CI" if r.case.ci_payout else ""))),
          )  # fmt: skip
    print(f"\nWorst channel / group (200+ cases) for honest false flags: {worst[0]} {pct(worst[1]).strip()}")
    with_payout = [r for r in checked if r.case.ci_payout]
    ablation_rows = []
    for name, bound_of in (("as built (payout not in the bound)", lambda r: r.bound),
                           ("ablation: bound less the payout", lambda r: max(r.bound - r.case.ci_payout,
                                                                              CI_ABLATION_FLOOR))):  # fmt: skip
        honest = sum(r.case.amount > chosen * bound_of(r) for r in with_payout) / len(with_payout)
        gross = sum(r.inflated_ratio[GROSS] * r.bound > chosen * bound_of(r) for r in with_payout) / len(with_payout)
        ablation_rows.append((name, len(with_payout), pct(honest), pct(gross)))
    print("\nCases with a critical-illness payout:\n")
    print(table(("bound", "n", "honest flagged", "3x caught"), ablation_rows))
    print("\nCatch rate at the chosen k by how far the amount is above the true need:\n")
    print(
        table(
            ("amount / true need", "caught"),
            [(f"{m}x", pct(c)) for m, c in catch_by_inflation(checked, chosen, args.seed)],
        )
    )

    print(f"\nHonest amounts flagged at k = {chosen}, by scenario (largest first):")
    flagged_by = Counter(r.case.scenario for r in checked if r.honest_ratio > chosen)
    total_by = Counter(r.case.scenario for r in checked)
    for key, n in flagged_by.most_common(10):
        print(
            f"  {key:22} {n:5} of {total_by[key]:6,} ({pct(n / total_by[key]).strip()}) [{SCENARIOS_BY_KEY[key].group}]"
        )
    examples = [r for r in checked if r.honest_ratio > chosen][:3]
    for r in examples:
        check = costs.amount_check(r.case.amount, r.estimate, multiplier=chosen)
        print(f"  e.g. need {money(r.case.need)}, basis {r.case.basis}: {check.reason}")

    print(f"\n## The demo generator (cases.lib.synthetic.generate, k = {chosen})\n")
    print("Inflated lines are the crowdfunding targets above the top of their disease's target range")
    print("(the generator's honest targets stay inside it; its inflated ones are at least 6 times its top).")
    for size in args.demo_cases:
        print(f"\n### generate(cases={size:,}), default seed\n")
        demo(library, size, chosen)

    args.svg.write_text(svg(curves, chosen, worst), encoding="utf-8")
    print(f"\nChart: {args.svg}")
    scale = f" --scale {args.scale}" if args.scale != 1 else ""
    seconds = time.perf_counter() - started
    print(f"Command: python -m benchmarks.plausibility.run --seed {args.seed}{scale}  ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
