"""Expected cost and out-of-pocket of one case, from a disease-cost library entry (pure Python, no Django).

``estimate()`` turns a library entry, the hospital level, the basic insurance and any
critical-illness payout into a ``CostEstimate``; ``amount_check()`` says whether a crowdfunding
target or an aid request is far above any plausible out-of-pocket for that illness and cover.
Every input and factor goes into ``CostEstimate.inputs`` so that a case worker can see how a figure
was reached. Money is ``Decimal`` throughout, rounded to whole CNY with ROUND_HALF_UP.

Formula ``costs/1``
-------------------
Expected (what the family will most likely pay)::

    expected_cost = cost_typical * level_factor
    expected_oop  = max(0, expected_cost * (1 - fund_share) - ci_payout)

Highest plausible (the bound that target checks use)::

    high_medical  = cost_high * horizon_years      (tertiary prices; see level_factor)
    in_list_oop   = high_medical * (1 - fund_share)
    out_of_list   = OUT_OF_LIST_ALLOWANCE (300,000) for cancers, HSCT-treated blood diseases and
                    transplants; max(OTHER_EXTRA_FLOOR, OTHER_EXTRA_SHARE * high_medical) otherwise
    nonmedical    = max(NONMEDICAL_FLOOR, NONMEDICAL_SHARE * high_medical), at most NONMEDICAL_CAP
    highest_oop   = in_list_oop + out_of_list + nonmedical      (no critical-illness payout: see below)

The factors and their basis:

- ``level_factor`` (``LEVEL_FACTORS``): the library's figures come mostly from tertiary hospitals
  (CanSPUC's 37 tertiary hospitals, Fuwai, provincial claims). Drugs and consumables sell at the
  same price at every level (zero mark-up since the 2017 and 2019 reforms); services (beds,
  nursing, operations) are priced by hospital grade, lower at lower grades. So the same treatment
  costs somewhat less at a lower grade: 3A 1.00, 3B/3C 0.95, grade 2 0.85, grade 1 0.75. These are
  analyst estimates (verify against a provincial price schedule). Yearbook averages per admission
  by level differ far more, but they mostly measure case mix, so they are not used. An unknown or
  blank level means no adjustment. The bound never takes a level below 1: a patient diagnosed at a
  county hospital is often referred up to a provincial or national one.
- ``fund_share`` (``FUND_SHARES``): the share of inpatient cost the basic fund actually paid in
  2019 (seeds/004, table 1.1): employee insurance 75.6%, resident insurance 59.7%, none 0. It
  already averages in-list and out-of-list items, so the expected out-of-pocket uses it as is.
- Out of list: the fund pays nothing for drugs outside the national list (many targeted drugs and
  immunotherapies before they are negotiated in, CAR-T), for much of a transplant (donor search,
  imported drugs), or for travel, lodging and a carer near a distant hospital. So the real
  out-of-pocket share can exceed ``1 - fund_share``: the reference's typical_oop_share is 0.51 for
  cancer against 0.24-0.40 for policy co-pays, and families report needing 300,000-600,000 CNY for
  cancer where the published first-year cost is 60,000-100,000 (shared/reference README, seeds/000,
  003). ``highest_oop`` allows for it with ``out_of_list`` (paid in full by the family) and
  ``nonmedical``:
  * malignant neoplasms, blood diseases treated by transplant or costly drugs (MDS and other
    myeloid neoplasms, haemolytic and aplastic anaemias, thalassaemia) and transplants
    (``_OUT_OF_LIST_BLOCKS``): a fixed 300,000 CNY, about a year of an unlisted
    targeted drug or immunotherapy, or the self-paid part of a stem-cell transplant, on top of the
    library's high; fixed rather than proportional because drug prices do not scale with the base
    treatment's cost (an acute-leukaemia family is still 200,000-300,000 short after insurance and
    fundraising, seeds/004);
  * other illnesses: half the high medical cost again, and at least 50,000 CNY (long ICU stays,
    complications, imported devices, rehabilitation; a fortnight in ICU or a few months of
    rehabilitation cost this much whatever the library's figure for the acute admission, and some
    entries' high is a per-admission mean, e.g. cerebral infarction 17,700);
  * non-medical: 20% of the high medical cost (a carer's lodging and meals near a provincial or
    national hospital, 200-400 CNY a day over the course), at least 10,000 and at most 100,000 CNY.
  These are analyst estimates, stated so that they can be checked; ``amount_check`` flags only
  amounts several times above the bound (``FLAG_MULTIPLIER``, calibrated in
  benchmarks/plausibility).
- ``horizon_years``: a ``year`` entry (dialysis, haemophilia, rare-disease drugs) repeats every
  year, and a campaign or application may fairly cover several; the bound counts
  ``YEAR_HORIZON`` (3) years. The expected figures stay per year, as the entry is.
- ``ci_payout``: a critical-illness policy's lump sum comes off ``expected_oop`` (never below 0):
  the likeliest case is that the family spends it on the bills. It does not come off
  ``highest_oop``: the lump sum is paid to the policyholder, is not tied to bills (it is meant to
  replace lost income too) and often arrives after a campaign starts, so the highest plausible
  out-of-pocket is the one without it. Whether a family with a large payout should be asking at
  all is a question for the remaining-need computation and the asset review, not for this bound.
  (Measured in benchmarks/plausibility: subtracting the payout from the bound flags honest
  families whose payout is still pending.)

Not modelled: the higher reimbursement rate at lower-level hospitals and the lower one for
treatment in another province; the price year of the library's figures (costs have risen since
the 2013-2014 figures many cancer rows rest on; the benchmark's honest population grows prices
3% a year from each figure's year, so the measured false-flag rate includes that gap).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from cases.lib import disease_library, icd10
from cases.lib.money import format_cny

FORMULA_VERSION = "costs/1"

ZERO = Decimal("0")
ONE = Decimal("1")

# Share of inpatient cost paid by the basic fund, 2019 (seeds/004, table 1.1).
FUND_SHARES = {"employee": Decimal("0.756"), "resident": Decimal("0.597"), "none": ZERO}
INSURANCE_WORDS = {"employee": "employee insurance", "resident": "resident insurance", "none": "no basic insurance"}

# Hospital grade (级) and class (等): 3A = 三级甲等. Analyst estimates, see the module docstring.
LEVEL_FACTORS = {
    "3A": Decimal("1.00"),
    "3B": Decimal("0.95"),
    "3C": Decimal("0.95"),
    "3": Decimal("1.00"),
    "2A": Decimal("0.85"),
    "2B": Decimal("0.85"),
    "2C": Decimal("0.85"),
    "2": Decimal("0.85"),
    "1A": Decimal("0.75"),
    "1B": Decimal("0.75"),
    "1C": Decimal("0.75"),
    "1": Decimal("0.75"),
}
UNKNOWN_LEVEL = "unknown"

YEAR_HORIZON = 3
OUT_OF_LIST_ALLOWANCE = Decimal("300000")
OTHER_EXTRA_SHARE = Decimal("0.5")
OTHER_EXTRA_FLOOR = Decimal("50000")
NONMEDICAL_SHARE = Decimal("0.2")
NONMEDICAL_FLOOR = Decimal("10000")
NONMEDICAL_CAP = Decimal("100000")

# Flag an amount above this many times highest_oop (benchmarks/plausibility measures the choice).
FLAG_MULTIPLIER = Decimal("2.5")

# Codes whose costly tail is outside the list: malignant neoplasms (C00-C97), myeloid neoplasms of
# uncertain behaviour (D45-D47: polycythaemia vera, MDS), haemolytic and aplastic anaemias and
# thalassaemia (D55-D64: stem-cell transplant, complement inhibitors) and transplant status (Z94).
# Benign and in-situ neoplasms (D00-D44) are treated by surgery and stay with the other illnesses.
_OUT_OF_LIST_BLOCKS = ("C00-C97", "D45-D47", "D55-D64", "Z94")
_LEVEL_CHINESE = {"三": "3", "二": "2", "一": "1", "甲": "A", "乙": "B", "丙": "C"}


@dataclass(frozen=True)
class CostEstimate:
    """What a course of treatment (or a year of a chronic illness) costs a family, by formula ``costs/1``."""

    expected_cost: Decimal  # total cost of the course (or year), at this hospital level
    expected_oop: Decimal  # what the family is expected to pay after insurance and CI payout (>= 0)
    highest_oop: Decimal  # the highest plausible out-of-pocket for this illness and cover
    inputs: dict[str, Any]  # JSON-ready: every input and factor of the formula


@dataclass(frozen=True)
class AmountCheck:
    """Whether an amount asked is far above any plausible out-of-pocket, and why."""

    flagged: bool
    ratio: Decimal  # amount / highest_oop, 2 decimals
    reason: str


def estimate(
    *,
    entry: disease_library.Entry,
    hospital_level: str | None,
    insurance: str,
    critical_illness_payout: Decimal | int | None,
    code: str | None = None,
    horizon_years: int = YEAR_HORIZON,
) -> CostEstimate:
    """Expected and highest plausible out-of-pocket for one case.

    ``entry`` is a library entry (``disease_library.Entry``; a case's row through
    ``library.entry_of``). ``code`` is the
    case's own diagnosis code, for the record and the reason text (the entry's first code
    otherwise). Raises ValueError naming the bad field.
    """
    if insurance not in FUND_SHARES:
        raise ValueError(f"insurance: {insurance!r} is not one of {', '.join(FUND_SHARES)}")
    ci_payout = _money("critical_illness_payout", critical_illness_payout if critical_illness_payout is not None else 0)
    low, typical, high = (
        _money(f"entry.{name}", getattr(entry, name)) for name in ("cost_low", "cost_typical", "cost_high")
    )
    if not low <= typical <= high:
        raise ValueError(
            f"entry.cost_typical: need cost_low <= cost_typical <= cost_high, got {low}, {typical}, {high}"
        )
    unit = getattr(entry, "unit", None)
    if unit not in disease_library.UNITS:
        raise ValueError(f"entry.unit: {unit!r} is not course or year")
    codes = tuple(code.strip().upper() for code in entry.icd10 if code.strip())

    level = normalise_level(hospital_level)
    level_factor = LEVEL_FACTORS.get(level, ONE)
    fund_share = FUND_SHARES[insurance]
    horizon = horizon_years if unit == "year" else 1

    expected_cost = _round(typical * level_factor)
    expected_oop = max(ZERO, _round(expected_cost * (ONE - fund_share) - ci_payout))

    high_medical = high * horizon  # at tertiary prices: a county diagnosis is often referred up
    in_list_oop = high_medical * (ONE - fund_share)
    tail = "out_of_list" if any(_in_out_of_list_blocks(c) for c in codes) else "other"
    out_of_list = (
        OUT_OF_LIST_ALLOWANCE if tail == "out_of_list" else max(OTHER_EXTRA_FLOOR, high_medical * OTHER_EXTRA_SHARE)
    )
    nonmedical = min(NONMEDICAL_CAP, max(NONMEDICAL_FLOOR, high_medical * NONMEDICAL_SHARE))
    # Each part rounded, then summed: the parts recorded in `inputs` add up to the bound.
    in_list_oop, out_of_list, nonmedical = _round(in_list_oop), _round(out_of_list), _round(nonmedical)
    highest_oop = in_list_oop + out_of_list + nonmedical

    inputs = {
        "formula": FORMULA_VERSION,
        "entry_key": entry.key,
        "entry_codes": "|".join(codes),
        "code": (code or codes[0]) if codes else (code or ""),
        "name_zh": entry.name_zh,
        "unit": unit,
        "cost_low": str(low),
        "cost_typical": str(typical),
        "cost_high": str(high),
        "hospital_level": hospital_level or "",
        "level": level,
        "level_factor": str(level_factor),
        "insurance": insurance,
        "fund_share": str(fund_share),
        "ci_payout": str(ci_payout),
        "horizon_years": horizon,
        "high_medical": str(_round(high_medical)),
        "in_list_oop": str(in_list_oop),
        "tail": tail,
        "out_of_list": str(out_of_list),
        "nonmedical": str(nonmedical),
    }
    return CostEstimate(expected_cost=expected_cost, expected_oop=expected_oop, highest_oop=highest_oop, inputs=inputs)


def amount_check(
    amount: Decimal | int, estimate: CostEstimate, *, what: str = "target", multiplier: Decimal = FLAG_MULTIPLIER
) -> AmountCheck:
    """Flag an amount more than ``multiplier`` times the highest plausible out-of-pocket.

    ``what`` names the amount in the reason ("target" for a crowdfunding campaign, "request" for
    an aid application). The default multiplier is FLAG_MULTIPLIER, chosen by measurement
    (benchmarks/plausibility/README.md). Raises ValueError naming a bad amount or multiplier.
    """
    inputs = estimate.inputs
    subject = f"{inputs.get('code', '')} ({inputs.get('name_zh', '')})"
    if inputs.get("unit") == "year":
        subject += f" over {inputs.get('horizon_years')} years"
    insurance = inputs.get("insurance", "")
    cover = INSURANCE_WORDS.get(insurance, f"{insurance} insurance")
    ci_payout = Decimal(inputs.get("ci_payout", "0"))
    if ci_payout:
        cover += f" (a critical-illness payout of {format_cny(ci_payout)} is declared; the bound does not count it)"
    bound = estimate.highest_oop
    if bound <= 0:
        raise ValueError(f"estimate.highest_oop: must be above 0, got {bound}")
    return bound_check(
        amount, bound, what=what, bound_words=f"the highest plausible out-of-pocket {format_cny(bound)}"
        f" for {subject} with {cover}", multiplier=multiplier,
    )  # fmt: skip


def bound_check(
    amount: Decimal | int, bound: Decimal, *, what: str, bound_words: str, multiplier: Decimal = FLAG_MULTIPLIER
) -> AmountCheck:
    """Flag an amount more than ``multiplier`` times a bound (an illness's highest plausible
    out-of-pocket, a PAP program's most it gives), with the ratio and a reason that names both:
    "{what} 400,000 is 3.33 times {bound_words}: above the limit of 2.5 times"."""
    amount = _money("amount", amount)
    multiplier = _money("multiplier", multiplier)
    if multiplier <= 0:
        raise ValueError(f"multiplier: must be above 0, got {multiplier}")
    if bound <= 0:
        raise ValueError(f"bound: must be above 0, got {bound}")
    ratio = (amount / bound).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    flagged = amount > multiplier * bound
    verdict = "above" if flagged else "within"
    limit = f"{verdict} the limit of {_number(multiplier)} times"
    reason = f"{what} {format_cny(amount)} is {ratio} times {bound_words}: {limit}"
    return AmountCheck(flagged=flagged, ratio=ratio, reason=reason)


def normalise_level(value: str | None) -> str:
    """'3A', '3a', '三甲', '三级甲等', '2' … as one of LEVEL_FACTORS' keys, or UNKNOWN_LEVEL."""
    if not value:
        return UNKNOWN_LEVEL
    text = "".join(_LEVEL_CHINESE.get(ch, ch) for ch in str(value).strip().upper())
    text = text.replace("级", "").replace("等", "").replace(" ", "")
    return text if text in LEVEL_FACTORS else UNKNOWN_LEVEL


# -- helpers ------------------------------------------------------------------------------------


def _money(field: str, value: Any) -> Decimal:
    if isinstance(value, float):
        raise ValueError(f"{field}: {value!r} is a float; money must be a Decimal, an int or a decimal string")
    if isinstance(value, bool):
        raise ValueError(f"{field}: {value!r} is not an amount")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{field}: {value!r} is not an amount") from None
    if not amount.is_finite():
        raise ValueError(f"{field}: {value!r} is not a finite amount")
    if amount < 0:
        raise ValueError(f"{field}: {amount} is negative")
    return amount


def _round(value: Decimal) -> Decimal:
    return value.quantize(ONE, rounding=ROUND_HALF_UP)


def _in_out_of_list_blocks(code: str) -> bool:
    """Whether a code, or any category of a range such as D37-D48, falls in _OUT_OF_LIST_BLOCKS."""
    return any(icd10.matches_any(icd10.category(c), _OUT_OF_LIST_BLOCKS) for c in disease_library.expand(code.strip()))


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")
