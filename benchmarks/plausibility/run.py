"""Calibrate the target check: false flags on honest amounts, catches on grossly inflated ones.

    .venv/bin/python -m benchmarks.plausibility.run [--seed 20261124] [--scale 1] [--k 2.5] [--min-cell 100]
        [--year-horizon N] [--demo-cases 2000 20000] [--svg benchmarks/plausibility/plausibility.svg]

Draws honest applications with a known true out-of-pocket need (benchmarks/plausibility/population.py,
which does not use the cost formula) and checks each amount with the rule "amount > k x highest_oop"
(cases.lib.costs) for every k on a grid.

Grossly inflated (the primary definition): an amount at least GROSS (3) times the highest honest
need for the same illness and cover. The highest honest need is the 99th percentile of the TRUE
out-of-pocket needs of the honest crowdfunding and foundation-aid cases with the same library
entry and the same basic insurance; when that cell has fewer than MIN_CELL honest cases, of the
same disease group and insurance (but never below the largest need seen in the cell). It is
computed from the honest population, never from the formula. Each checked case gets inflated
copies, rounded up as its channel rounds:
- "3-10x p99" (the primary catch rate): the p99 times a multiplier drawn log-uniform from 3 to 10;
- "demo-style": max(p99 x 6..12, one of 2, 3 or 5 million), as cases.lib.synthetic inflates a
  target (it uses the top of the disease's target range where this uses the p99);
- exactly 1.5, 2, 3 and 5 times the p99: the catch curve by multiplier (1.5x and 2x are below
  the definition; 3x is its boundary, the hardest gross case).

Secondary: copies at 2, 3, 5 and 10 times the case's OWN true need (the previous definition),
which no amount check can catch well: see benchmarks/plausibility/README.md.

PAP requests are measured separately (their value is set by the program's terms). The run prints
the tables, per channel and disease group, at the chosen k (cases.lib.costs.FLAG_MULTIPLIER);
writes an SVG chart of honest false flags and gross catches by k; and runs the same check over
the demo generator's case lines (cases.lib.synthetic.generate).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape
from pathlib import Path

from benchmarks.plausibility.population import (
    PAP_DRUGS,
    SCENARIOS_BY_KEY,
    Case,
    Generator,
    channel_rounding,
    inflate,
)
from cases.lib import costs, disease_library, icd10

SIZES = {"crowdfunding": 27_500, "foundation_aid": 15_000, "pap": 7_500}  # 55/30/15, the demo's channel mix
GROSS = Decimal(3)  # "grossly inflated": at least this many times the highest honest need (p99)
HONEST_QUANTILE = 99  # the highest honest need is this percentile of true needs
MIN_CELL = 100  # honest cases an entry and insurance need for their own p99; else the disease group's
P99_MULTIPLIERS = (Decimal("1.5"), Decimal(2), GROSS, Decimal(5))
LOG_UNIFORM = (3.0, 10.0)
DEMO_FLOORS = (2_000_000, 3_000_000, 5_000_000)
PRIMARY = "3-10x p99"
BOUNDARY = f"{GROSS}x p99"  # exactly at the definition's edge
DEMO_STYLE = "demo-style"
GROSS_KINDS = (*(f"{m}x p99" for m in P99_MULTIPLIERS), PRIMARY, DEMO_STYLE)
OWN_MULTIPLIERS = (Decimal(2), Decimal(3), Decimal(5), Decimal(10))  # secondary: times the case's own need
PAP_TERMS_MULTIPLIERS = (Decimal(2), Decimal(3), Decimal(5), Decimal(10))
GRID = tuple(Decimal(n) / 4 for n in range(4, 25))  # k from 1 to 6 in steps of 0.25
CI_ABLATION_FLOOR = Decimal(10_000)
TARGET_FALSE_FLAG = 0.02
TARGET_CATCH = 0.95
MIN_GROUP = 200  # cases a channel / group needs to count as the worst
DEFAULT_SVG = Path(__file__).with_name("plausibility.svg")
PAP_DRUG_BY_SCENARIO = {drug.scenario: drug for drug, _weight in PAP_DRUGS}


@dataclass(frozen=True)
class Reference:
    """The highest honest need for one entry and insurance: a percentile of true needs."""

    value: Decimal
    source: str  # "entry" or "group" (the entry and insurance had fewer than MIN_CELL cases)
    n: int  # honest cases it was computed from
    entry_n: int  # honest cases of the entry and insurance


@dataclass
class Checked:
    case: Case
    estimate: costs.CostEstimate
    bound: Decimal
    entry_key: str
    honest_ratio: Decimal
    reference: Reference | None = None
    gross: dict[str, Decimal] = field(default_factory=dict)  # inflated amount / bound, by kind
    own: dict[Decimal, Decimal] = field(default_factory=dict)  # m x own true need / bound
    terms: dict[Decimal, Decimal] = field(default_factory=dict)  # PAP: m x the program's most / bound


class Library:
    def __init__(self) -> None:
        self.entries = disease_library.load()
        self._by_code: dict[str, disease_library.Entry | None] = {}

    def find(self, code: str) -> disease_library.Entry | None:
        if code not in self._by_code:
            self._by_code[code] = disease_library.find_by_code(self.entries, code)
        return self._by_code[code]


def percentile(values: Sequence[Decimal], q: int = HONEST_QUANTILE) -> Decimal:
    if len(values) == 1:
        return values[0]
    return Decimal(round(statistics.quantiles(values, n=100, method="inclusive")[q - 1]))


def references(rows: Sequence[Checked], min_cell: int = MIN_CELL) -> dict[tuple[str, str], Reference]:
    """The highest honest need by (entry, insurance), from the crowdfunding and foundation-aid cases."""
    by_cell: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    by_group: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    group_of: dict[str, str] = {}
    for r in rows:
        if r.case.channel == "pap":
            continue  # a PAP "need" is the drug's value, not an out-of-pocket need
        by_cell[(r.entry_key, r.case.insurance)].append(r.case.need)
        by_group[(r.case.group, r.case.insurance)].append(r.case.need)
        group_of[r.entry_key] = r.case.group
    out = {}
    for (key, insurance), needs in by_cell.items():
        if len(needs) >= min_cell:
            out[(key, insurance)] = Reference(percentile(needs), "entry", len(needs), len(needs))
        else:
            # Too few cases for a p99 of their own: the disease group's, but never below the highest need
            # seen for the entry (a costly entry in a cheaper group, e.g. Gaucher among the chronic).
            pooled = by_group[(group_of[key], insurance)]
            value = max(percentile(pooled), max(needs))
            out[(key, insurance)] = Reference(value, "group", len(pooled), len(needs))
    return out


def measure(
    cases: Iterable[Case], library: Library, seed: int, min_cell: int = MIN_CELL, horizon: int = costs.YEAR_HORIZON
) -> tuple[list[Checked], Counter, dict]:
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
            horizon_years=horizon,
        )
        bound = estimate.highest_oop
        checked.append(Checked(case, estimate, bound, entry.key, case.amount / bound))
    refs = references(checked, min_cell)
    rng = random.Random(seed + 1)
    low, high = (math.log(x) for x in LOG_UNIFORM)
    for r in checked:
        channel, bound = r.case.channel, r.bound
        ref = r.reference = refs.get((r.entry_key, r.case.insurance))
        if ref is not None:
            for m in P99_MULTIPLIERS:
                r.gross[f"{m}x p99"] = channel_rounding(rng, channel, ref.value * m) / bound
            m = Decimal(f"{math.exp(rng.uniform(low, high)):.4f}")
            r.gross[PRIMARY] = channel_rounding(rng, channel, ref.value * m) / bound
            demo = max(ref.value * rng.randint(6, 12), Decimal(rng.choice(DEMO_FLOORS)))
            r.gross[DEMO_STYLE] = channel_rounding(rng, channel, demo) / bound
        for m in OWN_MULTIPLIERS:
            r.own[m] = inflate(rng, r.case, m) / bound
        if channel == "pap":
            drug = PAP_DRUG_BY_SCENARIO[r.case.scenario]
            most = Decimal(drug.cycle_value * drug.most_cycles)
            for m in PAP_TERMS_MULTIPLIERS:
                r.terms[m] = channel_rounding(rng, channel, most * m) / bound
    return checked, unchecked, refs


# -- small helpers ------------------------------------------------------------------------------------


def rate(ratios: Sequence[Decimal], k: Decimal) -> float:
    """Share of sorted ratios above k (flagged)."""
    return (len(ratios) - bisect_right(ratios, k)) / len(ratios) if ratios else float("nan")


def share(rows: Sequence[Checked], flagged: Callable[[Checked], bool]) -> float:
    return sum(map(flagged, rows)) / len(rows) if rows else float("nan")


def honest_at(k: Decimal) -> Callable[[Checked], bool]:
    return lambda r: r.honest_ratio > k


def gross_at(k: Decimal, kind: str = PRIMARY) -> Callable[[Checked], bool]:
    return lambda r: r.gross[kind] > k


def own_at(k: Decimal, m: Decimal) -> Callable[[Checked], bool]:
    return lambda r: r.own[m] > k


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


def grouped(rows: Iterable[Checked], key: Callable[[Checked], str]) -> dict[str, list[Checked]]:
    groups: dict[str, list[Checked]] = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    return dict(sorted(groups.items()))


def channel_group(r: Checked) -> str:
    return f"{r.case.channel} / {r.case.group}"


def cover(r: Checked) -> str:
    return r.case.insurance + (" + CI" if r.case.ci_payout else "")


def worst(rows: Sequence[Checked], flagged: Callable[[Checked], bool], *, highest: bool) -> tuple[str, float]:
    """The channel / disease group (MIN_GROUP cases or more) with the highest (or lowest) share flagged."""
    shares = [(name, share(rs, flagged)) for name, rs in grouped(rows, channel_group).items() if len(rs) >= MIN_GROUP]
    return (max if highest else min)(shares, key=lambda item: item[1])


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
    print("\nTrue out-of-pocket need by disease group (crowdfunding and foundation aid; CNY):\n")
    groups: dict[str, list[Decimal]] = defaultdict(list)
    for case in cases:
        if case.channel != "pap":
            groups[case.group].append(case.need)
    rows = []
    for group, needs in sorted(groups.items()):
        q = statistics.quantiles(needs, n=100, method="inclusive")
        rows.append((group, len(needs), money(q[9]), money(statistics.median(needs)), money(q[94]), money(q[98])))
    print(table(("group", "cases", "p10", "median", "p95", "p99"), rows))
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


def describe_references(
    rows: Sequence[Checked], refs: dict[tuple[str, str], Reference], k: Decimal, min_cell: int
) -> None:
    print(f"\n## The highest honest need (p{HONEST_QUANTILE} of true needs) by library entry and insurance\n")
    print(f"From the crowdfunding and foundation-aid cases; an entry and insurance with fewer than {min_cell} cases")
    print("takes its disease group's p99 for that insurance, or its own largest need if higher. Sorted by")
    print("3 x p99 / highest_oop, the hardest first:")
    print(f"below k = {k} even an amount of exactly 3 x p99 passes.\n")
    bound_of = {(r.entry_key, r.case.insurance): r.bound for r in rows}
    group_of = {r.entry_key: r.case.group for r in rows}
    out = []
    for (key, insurance), ref in sorted(refs.items(), key=lambda kv: kv[1].value / bound_of[kv[0]]):
        bound = bound_of[(key, insurance)]
        source = "entry" if ref.source == "entry" else f"group ({ref.n:,}) or max"
        out.append((key, insurance, group_of[key], ref.entry_n, source, money(ref.value), money(bound),
                    f"{3 * ref.value / bound:.2f}"))  # fmt: skip
    print(table(("entry", "insurance", "group", "cases", "p99 of", "p99 need", "highest_oop", "3 x p99 / bound"), out))
    by_source = Counter(r.reference.source for r in rows if r.case.channel != "pap" and r.reference)
    total = sum(by_source.values())
    print(f"\nCrowdfunding and foundation-aid cases whose reference comes from their disease group: "
          f"{by_source['group']:,} of {total:,} ({pct(by_source['group'] / total).strip()}).")  # fmt: skip


# -- the measurement ---------------------------------------------------------------------------------


def grid(rows: Sequence[Checked]) -> tuple[list[tuple], dict[str, list[tuple[float, float]]]]:
    honest = sorted(r.honest_ratio for r in rows)
    crowdfunding = sorted(r.honest_ratio for r in rows if r.case.channel == "crowdfunding")
    gross = {kind: sorted(r.gross[kind] for r in rows) for kind in (PRIMARY, BOUNDARY, DEMO_STYLE)}
    own3 = sorted(r.own[Decimal(3)] for r in rows)
    out = []
    curves: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for k in GRID:
        values = {
            "honest": rate(honest, k),
            "honest crowdfunding": rate(crowdfunding, k),
            **{kind: rate(ratios, k) for kind, ratios in gross.items()},
            "3x own need": rate(own3, k),
        }
        for name, value in values.items():
            curves[name].append((float(k), value))
        worst_honest = worst(rows, honest_at(k), highest=True)
        worst_catch = worst(rows, gross_at(k), highest=False)
        out.append((k, values, worst_honest, worst_catch))
    return out, dict(curves)


def breakdown(rows: Sequence[Checked], k: Decimal, key: Callable[[Checked], str]) -> list[tuple]:
    out = []
    for name, rs in grouped(rows, key).items():
        caught = (pct(share(rs, gross_at(k, kind))) for kind in GROSS_KINDS)
        out.append((name, len(rs), pct(share(rs, honest_at(k))), *caught))
    return out


BREAKDOWN_HEADERS = ("n", "honest flagged", *(f"{g} caught" for g in GROSS_KINDS))


def hardest_cells(rows: Sequence[Checked], k: Decimal, count: int = 12) -> list[tuple]:
    cells = grouped(rows, lambda r: f"{r.entry_key} / {r.case.insurance}")
    ranked = sorted(cells.items(), key=lambda kv: share(kv[1], gross_at(k)))[:count]
    out = []
    for name, rs in ranked:
        ref, bound = rs[0].reference, rs[0].bound
        out.append((name, len(rs), money(ref.value), money(bound), f"{ref.value / bound:.2f}",
                    pct(share(rs, gross_at(k, BOUNDARY))), pct(share(rs, gross_at(k))),
                    pct(share(rs, honest_at(k)))))  # fmt: skip
    return out


def catch_by_own_need(rows: Sequence[Checked], k: Decimal, seed: int) -> list[tuple[Decimal, float]]:
    """Secondary: catch rate at k for amounts 2..40 times the case's own need: where does it reach 95%?"""
    rng = random.Random(seed + 2)
    out = []
    for m in (Decimal(n) for n in (2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 40)):
        caught = sum(inflate(rng, r.case, m) > k * r.bound for r in rows)
        out.append((m, caught / len(rows)))
    return out


def pap_report(pap: Sequence[Checked], k: Decimal) -> None:
    print(f"\n## PAP requests, measured apart (k = {k})\n")
    print("A PAP request is the drug's value over the aid cycles: cycle value x cycles, as the program sets them.")
    print("The bound is for the whole illness, so it sits far above any PAP request; inflation of a PAP request")
    print("is relative to the program's terms, which the bound does not know.\n")
    rows = []
    for scenario, rs in grouped(pap, lambda r: r.case.scenario).items():
        drug = PAP_DRUG_BY_SCENARIO[scenario]
        most = drug.cycle_value * drug.most_cycles
        ratios = sorted(r.honest_ratio for r in rs)
        rows.append((f"{scenario} ({drug.drug})", len(rs), money(most), f"{statistics.median(ratios):.2f}",
                     f"{ratios[-1]:.2f}", pct(share(rs, honest_at(k))),
                     *(pct(share(rs, lambda r, m=m: r.terms[m] > k)) for m in PAP_TERMS_MULTIPLIERS),
                     pct(share(rs, gross_at(k)))))  # fmt: skip
    rows.append(("all PAP", len(pap), "", f"{statistics.median(r.honest_ratio for r in pap):.2f}",
                 f"{max(r.honest_ratio for r in pap):.2f}", pct(share(pap, honest_at(k))),
                 *(pct(share(pap, lambda r, m=m: r.terms[m] > k)) for m in PAP_TERMS_MULTIPLIERS),
                 pct(share(pap, gross_at(k)))))  # fmt: skip
    headers = ("PAP program", "n", "program's most", "honest / bound (median)", "max", "honest flagged",
               *(f"{m}x program's most caught" for m in PAP_TERMS_MULTIPLIERS), f"{PRIMARY} caught")  # fmt: skip
    print(table(headers, rows))
    print("\n(program's most = cycle value x the most cycles the program gives one patient; "
          f"{PRIMARY} = the illness's p99 honest out-of-pocket need times 3-10)")  # fmt: skip


# -- the demo generator -------------------------------------------------------------------------------


def demo(library: Library, cases: int, k: Decimal, horizon: int = costs.YEAR_HORIZON) -> None:
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
            horizon_years=horizon,
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
    PRIMARY: ("#08519c", 3, "p99 × 3-10, log-uniform (primary)", ""),
    BOUNDARY: ("#4292c6", 2, "exactly 3 × p99 (the boundary)", ""),
    DEMO_STYLE: ("#6a51a3", 1.5, "demo-style: max(p99 × 6-12, 2-5 M)", ""),
    "3x own need": ("#969696", 1.5, "3 × own need (secondary)", "4 3"),
    "honest": ("#c0392b", 3, "honest, crowdfunding + aid", ""),
    "honest crowdfunding": ("#e6550d", 1.5, "honest, crowdfunding only", "4 3"),
}


def svg(curves: dict[str, list[tuple[float, float]]], chosen: Decimal, notes: Sequence[str]) -> str:
    """Two panels over the same k axis: inflated amounts caught (0-100%), honest amounts flagged (zoomed)."""
    width, left, right, panel_h, gap = 980, 70, 340, 240, 70
    plot_w = width - left - right
    tops = (66, 66 + panel_h + gap)
    height = tops[1] + panel_h + 60
    xs = [x for x, _ in curves["honest"]]
    x0, x1 = min(xs), max(xs)
    honest_max = max(y for name in ("honest", "honest crowdfunding") for _, y in curves[name])
    honest_top = max(0.05, math.ceil(honest_max * 20) / 20)  # zoom, to a 5% step
    panels = (
        ("grossly inflated amounts caught (share flagged)", [PRIMARY, BOUNDARY, DEMO_STYLE, "3x own need"], 1.0, 0.1,
         (TARGET_CATCH, "95% catch target", "start")),
        ("honest amounts flagged (false flags; axis zoomed)", ["honest", "honest crowdfunding"], honest_top, 0.01,
         (TARGET_FALSE_FLAG, "2% false-flag target", "end")),
    )  # fmt: skip

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * plot_w

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           f'font-size="12"><rect width="100%" height="100%" fill="white"/>',
           '<text x="70" y="24" font-size="15" font-weight="bold">Flag rate of the rule "amount &gt; k × '
           'highest plausible out-of-pocket", by k</text>']  # fmt: skip
    at_chosen = {name: dict(points)[float(chosen)] for name, points in curves.items()}
    for (title, names, y_max, step, (target, target_label, anchor)), top in zip(panels, tops, strict=True):

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
        label_x, label_y = (left + 6, y + 15) if anchor == "start" else (left + plot_w - 4, y - 5)
        out.append(f'<text x="{label_x}" y="{label_y:.1f}" text-anchor="{anchor}" fill="#555">'
                   f'{escape(target_label)}</text>')  # fmt: skip
        for n, name in enumerate(names):
            colour, stroke, label, dash = CURVE_STYLES[name]
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            path = " ".join(f"{'L' if i else 'M'}{px(x):.1f},{py(y):.1f}" for i, (x, y) in enumerate(curves[name]))
            out.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{stroke}"{dashed}/>')
            ly = top + 10 + n * 20
            out.append(f'<line x1="{left + plot_w + 14}" y1="{ly}" x2="{left + plot_w + 36}" y2="{ly}" '
                       f'stroke="{colour}" stroke-width="{stroke}"{dashed}/>')  # fmt: skip
            value = f"{100 * at_chosen[name]:.1f}%"
            out.append(f'<text x="{left + plot_w + 42}" y="{ly + 4}">{escape(label)}: {value}</text>')
        x = px(float(chosen))
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + panel_h}" stroke="black" '
                   f'stroke-width="1.5"/>')  # fmt: skip
        out.append(f'<text x="{x + 4:.1f}" y="{top + panel_h - 6}" font-weight="bold">k = {chosen}</text>')
    notes_y = tops[1] + 10 + 2 * 20 + 10
    for i, text in enumerate((f"rates at the chosen k = {chosen} (black line);", *notes)):
        out.append(f'<text x="{left + plot_w + 14}" y="{notes_y + 16 * i}" fill="#333">{escape(text)}</text>')
    out.append(f'<text x="{left + plot_w / 2}" y="{height - 14}" text-anchor="middle">k: flag when the amount is '
               f'above k times the highest plausible out-of-pocket</text>')  # fmt: skip
    out.append("</svg>")
    return "\n".join(out) + "\n"


# -- main --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the population sizes")
    parser.add_argument("--demo-cases", type=int, nargs="*", default=[2_000, 20_000],
                        help="sizes of cases.lib.synthetic.generate() runs (2,000 is the demo's default)")  # fmt: skip
    parser.add_argument("--svg", type=Path, default=DEFAULT_SVG, help="where to write the chart")
    parser.add_argument("--k", type=Decimal, default=costs.FLAG_MULTIPLIER,
                        help="the k to break down and mark (default: cases.lib.costs.FLAG_MULTIPLIER)")  # fmt: skip
    parser.add_argument("--min-cell", type=int, default=MIN_CELL,
                        help="honest cases an entry and insurance need for a p99 of their own")  # fmt: skip
    parser.add_argument("--year-horizon", type=int, default=None,
                        help="variant: years a chronic illness is costed over (default: 3)")  # fmt: skip
    args = parser.parse_args()
    started = time.perf_counter()
    chosen = args.k
    if chosen not in GRID:
        parser.error(f"--k must be on the grid (1 to 6 in steps of 0.25), got {chosen}")
    variant, horizon = "", costs.YEAR_HORIZON
    if args.year_horizon is not None:
        variant = f", variant YEAR_HORIZON = {args.year_horizon} (shipped: {costs.YEAR_HORIZON})"
        horizon = args.year_horizon

    generator = Generator(args.seed)
    cases = [case for channel, size in SIZES.items() for case in generator.cases(channel, int(size * args.scale))]
    library = Library()
    checked, unchecked, refs = measure(cases, library, args.seed, args.min_cell, horizon)
    rows = [r for r in checked if r.case.channel != "pap"]  # crowdfunding and foundation aid
    pap = [r for r in checked if r.case.channel == "pap"]

    print(f"# Plausibility of amounts asked: formula {costs.FORMULA_VERSION}{variant}, k = {chosen}, seed {args.seed}, "
          f"p99 cells of {args.min_cell}+ cases")  # fmt: skip
    per_channel = ", ".join(f"{c} {n:,}" for c, n in Counter(x.channel for x in cases).items())
    print(f"\nHonest cases drawn: {len(cases):,} ({per_channel}); checked {len(checked):,} "
          f"(crowdfunding and foundation aid {len(rows):,}, PAP {len(pap):,}); "
          f"code not in the disease library (cannot be checked): {sum(unchecked.values()):,}")  # fmt: skip
    for (channel, scenario, code), n in sorted(unchecked.items()):
        print(f"  {channel:15} {scenario:18} {code:6} {n:6,}")
    describe_population(cases)
    describe_references(checked, refs, chosen, args.min_cell)

    print("\n## Flag rate by k (crowdfunding and foundation aid; PAP apart, below)\n")
    print(f"Gross catch: {PRIMARY} is the primary figure; worst = the channel / disease group of {MIN_GROUP}+ cases")
    print("with the most honest false flags, or the fewest primary catches.\n")
    grid_rows, curves = grid(rows)
    print(table(("k", "honest flagged", "worst group honest", f"{PRIMARY} caught", "worst group caught",
                 "3x p99 caught", f"{DEMO_STYLE} caught", "3x own need caught"),
                [(k, pct(v["honest"]), f"{pct(wh[1])} {wh[0]}", pct(v[PRIMARY]), f"{pct(wc[1])} {wc[0]}",
                  pct(v[BOUNDARY]), pct(v[DEMO_STYLE]), pct(v["3x own need"]))
                 for k, v, wh, wc in grid_rows]))  # fmt: skip
    both = [k for k, v, *_ in grid_rows if v["honest"] < TARGET_FALSE_FLAG and v[PRIMARY] >= TARGET_CATCH]
    both_boundary = [k for k in both if dict((k2, v) for k2, v, *_ in grid_rows)[k][BOUNDARY] >= TARGET_CATCH]
    print(f"\nk meeting both targets (honest false flags < {pct(TARGET_FALSE_FLAG).strip()}, {PRIMARY} caught >= "
          f"{pct(TARGET_CATCH).strip()}): {', '.join(map(str, both)) or 'none'}")  # fmt: skip
    print(f"... and also catching >= {pct(TARGET_CATCH).strip()} at exactly 3x p99: "
          f"{', '.join(map(str, both_boundary)) or 'none'}")  # fmt: skip

    print(f"\n## At the chosen k = {chosen}\n")
    print(table(("channel / group", *BREAKDOWN_HEADERS), breakdown(rows, chosen, channel_group)))
    print()
    print(table(("channel", *BREAKDOWN_HEADERS),
                breakdown(rows, chosen, lambda r: r.case.channel)
                + breakdown(rows, chosen, lambda r: "crowdfunding + foundation aid")
                + breakdown([r for r in rows if r.reference.source == "entry"], chosen,
                            lambda r: "... with an entry's own p99 only")))  # fmt: skip
    print()
    print(table(("disease group", *BREAKDOWN_HEADERS), breakdown(rows, chosen, lambda r: r.case.group)))
    print()
    print(table(("insurance", *BREAKDOWN_HEADERS), breakdown(rows, chosen, cover)))
    print()
    print(table(("how the honest amount was set", "n", "honest flagged"),
                [(name, len(rs), pct(share(rs, honest_at(chosen))))
                 for name, rs in grouped(rows, lambda r: r.case.basis).items()]))  # fmt: skip
    worst_honest = worst(rows, honest_at(chosen), highest=True)
    worst_catch = worst(rows, gross_at(chosen), highest=False)
    print(f"\nWorst channel / group ({MIN_GROUP}+ cases): honest false flags {worst_honest[0]} "
          f"{pct(worst_honest[1]).strip()}; {PRIMARY} catch {worst_catch[0]} "
          f"{pct(worst_catch[1]).strip()}")  # fmt: skip

    print(f"\nSummary at k = {chosen} (crowdfunding and foundation aid):")
    for label, flagged in (("honest amounts flagged (false flags)", honest_at(chosen)),
                           (f"{PRIMARY} caught (primary gross catch)", gross_at(chosen)),
                           ("exactly 3x p99 caught (the boundary)", gross_at(chosen, BOUNDARY)),
                           (f"{DEMO_STYLE} caught", gross_at(chosen, DEMO_STYLE))):  # fmt: skip
        n = sum(map(flagged, rows))
        print(f"  {label:42} {n:6,} of {len(rows):,} ({100 * n / len(rows):.2f}%)")

    print(f"\nCatch rate by multiplier of the p99 (the rate curve), at k = 2, {chosen} and 3:\n")
    ks = (Decimal(2), chosen, Decimal(3))
    print(table(("amount", *(f"caught at k = {k}" for k in ks)),
                [(kind, *(pct(share(rows, gross_at(k, kind))) for k in ks)) for kind in GROSS_KINDS]))  # fmt: skip

    print(f"\nThe entries and insurances where the {PRIMARY} catch is lowest at k = {chosen}:\n")
    print(table(("entry / insurance", "n", "p99 need", "highest_oop", "p99 / bound", "3x p99 caught",
                 f"{PRIMARY} caught", "honest flagged"), hardest_cells(rows, chosen)))  # fmt: skip

    with_payout = [r for r in rows if r.case.ci_payout]
    ablation_rows = []
    for name, bound_of in (("as built (payout not in the bound)", lambda r: r.bound),
                           ("ablation: bound less the payout", lambda r: max(r.bound - r.case.ci_payout,
                                                                              CI_ABLATION_FLOOR))):  # fmt: skip
        honest = share(with_payout, lambda r, b=bound_of: r.case.amount > chosen * b(r))
        gross = share(with_payout, lambda r, b=bound_of: r.gross[PRIMARY] * r.bound > chosen * b(r))
        own = share(with_payout, lambda r, b=bound_of: r.own[Decimal(3)] * r.bound > chosen * b(r))
        ablation_rows.append((name, len(with_payout), pct(honest), pct(gross), pct(own)))
    print("\nCases with a critical-illness payout:\n")
    print(table(("bound", "n", "honest flagged", f"{PRIMARY} caught", "3x own need caught"), ablation_rows))

    print(f"\nHonest amounts flagged at k = {chosen}, by scenario (largest first):")
    flagged_by = Counter(r.case.scenario for r in rows if r.honest_ratio > chosen)
    total_by = Counter(r.case.scenario for r in rows)
    for key, n in flagged_by.most_common(10):
        print(
            f"  {key:22} {n:5} of {total_by[key]:6,} ({pct(n / total_by[key]).strip()}) [{SCENARIOS_BY_KEY[key].group}]"
        )
    for r in [r for r in rows if r.honest_ratio > chosen][:3]:
        check = costs.amount_check(r.case.amount, r.estimate, multiplier=chosen)
        print(f"  e.g. need {money(r.case.need)}, basis {r.case.basis}: {check.reason}")

    print(f"\n## Secondary: amounts a multiple of the case's OWN true need (k = {chosen})\n")
    print("Not the definition of grossly inflated: 3x a modest need is an ordinary need for a heavier case of the")
    print("same illness, which an amount check cannot tell apart (see the README).\n")
    print(table(("channel", "n", *(f"{m}x own need caught" for m in OWN_MULTIPLIERS)),
                [(name, len(rs), *(pct(share(rs, own_at(chosen, m))) for m in OWN_MULTIPLIERS))
                 for name, rs in [*grouped(rows, lambda r: r.case.channel).items(),
                                  ("crowdfunding + foundation aid", rows)]]))  # fmt: skip
    print()
    print(table(("amount / own true need", "caught"),
                [(f"{m}x", pct(c)) for m, c in catch_by_own_need(rows, chosen, args.seed)]))  # fmt: skip

    pap_report(pap, chosen)

    print(f"\n## The demo generator (cases.lib.synthetic.generate, k = {chosen})\n")
    print("Inflated lines are the crowdfunding targets above the top of their disease's target range")
    print("(the generator's honest targets stay inside it; its inflated ones are at least 6 times its top).")
    for size in args.demo_cases:
        print(f"\n### generate(cases={size:,}), default seed\n")
        demo(library, size, chosen, horizon)

    notes = (f"worst group, honest: {pct(worst_honest[1]).strip()}", f"  ({worst_honest[0]})",
             f"worst group, {PRIMARY}: {pct(worst_catch[1]).strip()}", f"  ({worst_catch[0]})",
             "PAP requests measured apart (README)")  # fmt: skip
    args.svg.write_text(svg(curves, chosen, notes), encoding="utf-8")
    print(f"\nChart: {args.svg}")
    options = f" --seed {args.seed}"
    options += f" --scale {args.scale}" if args.scale != 1 else ""
    options += f" --k {chosen}" if chosen != costs.FLAG_MULTIPLIER else ""
    options += f" --min-cell {args.min_cell}" if args.min_cell != MIN_CELL else ""
    options += f" --year-horizon {args.year_horizon}" if args.year_horizon is not None else ""
    seconds = time.perf_counter() - started
    print(f"Command: .venv/bin/python -m benchmarks.plausibility.run{options}  ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
