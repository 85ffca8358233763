"""Honest applications with a known true out-of-pocket need, drawn without the cost formula.

Each case's true cost is built up the way a family meets it: a base treatment drawn with a wide,
right-skewed spread around the published range (shared/reference/disease_costs.csv, the row named
in ``source``), grown from the figures' price year to 2025, then events that happen to some
patients (targeted drugs or immunotherapy, stem-cell or organ transplant, CAR-T, relapse, ICU,
rehabilitation), each with the share the basic fund counts at all (in list). The fund reimburses
the in-list part at a rate drawn per case (less after a deductible, or for treatment in another
province); the family pays the rest, plus travel, lodging and a carer, less any critical-illness
payout. That is the true need.

What the family then asks, the honest amount:
- crowdfunding: mostly the net need; some families ask for the hospital's estimate of the whole
  cost (before insurance), some have a critical-illness payout still to come and do not count it;
  all add a margin and round up to 5,000/10,000/50,000/100,000;
- foundation aid: the need up to the program's cap (whole thousands, or a receipt with cents);
  a few ask for more than any cap;
- PAP: the drug's value over the aid cycles (cycle value x cycles, as the programs set them).

``cases.lib.costs`` is not imported here: the generator does not know the formula's factors.
Figures marked "estimate" are the benchmark author's, not sourced.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

PRICE_GROWTH = 0.03  # a year, from the figures' price year to 2025 (inpatient cost per admission rose ~3-5%)
PRICE_TO = 2025
BASE_SPREAD_MIN = 0.5  # log-normal sigma at least this: stage mix and complications widen any published range

# Basic insurance mix by channel (crowdfunders are mostly on resident insurance; some have none).
INSURANCE_MIX = {
    "crowdfunding": {"resident": 65, "employee": 25, "none": 10},
    "foundation_aid": {"resident": 80, "employee": 12, "none": 8},
    "pap": {"resident": 70, "employee": 25, "none": 5},
}
# Reimbursement of in-list inpatient cost, uniform between (after 大病保险 top-ups). With ~0.9 of a
# base treatment in list this lands near the fund shares of seeds/004 (employee 75.6%, resident 59.7%).
REIMBURSEMENT = {"employee": (0.87, 0.97), "resident": (0.67, 0.87), "none": (0.0, 0.0)}
CI_SHARE = {"employee": 0.20, "resident": 0.06, "none": 0.03}  # share with a critical-illness payout
LEVELS = {"3A": 78, "3B": 7, "3C": 1, "2A": 9, "2B": 1, "1A": 0.5, "": 3.5}  # "" = not given
LEVEL_PRICE = {"3": (1.0, 1.0), "2": (0.70, 0.95), "1": (0.60, 0.90)}  # same treatment, lower grade
LEVEL_PRICE_3BC = (0.85, 1.0)
# Treated far from home (provincial or national centre), by kind of care.
DISTANT = {"children": 0.40, "blood": 0.40, "cancer": 0.30, "heart": 0.30, "acute": 0.05, "general": 0.15, "eye": 0.05}


@dataclass(frozen=True)
class Event:
    """Something that happens to some patients on top of the base treatment."""

    name: str
    share: float  # probability a case has it
    low: float  # cost range (10th-90th percentile), CNY; times the base cost when relative
    high: float
    in_list: tuple[float, float]  # share of its cost the fund counts at all, uniform between
    relative: bool = False


@dataclass(frozen=True)
class Scenario:
    key: str  # cases.lib.synthetic.DISEASES key
    group: str
    code: str
    unit: str  # course or year
    published: tuple[int, int]  # total cost range, CNY
    price_year: int
    source: str
    care: str
    events: tuple[Event, ...] = ()
    in_list: tuple[float, float] = (0.85, 0.95)
    years: tuple[int, ...] = (1, 1, 2, 2, 3)  # years a campaign for a chronic illness covers


def _relapse(share: float, low: float = 0.5, high: float = 1.5) -> Event:
    return Event("relapse or progression", share, low, high, (0.8, 0.9), relative=True)


def _targeted(share: float, low: float = 50_000, high: float = 400_000) -> Event:
    return Event("targeted drug or immunotherapy", share, low, high, (0.0, 0.8))


_HSCT = Event("stem-cell transplant", 0.0, 300_000, 800_000, (0.4, 0.6))
_CAR_T = Event("CAR-T", 0.0, 1_000_000, 1_300_000, (0.0, 0.0))
_ICU = Event("ICU", 0.0, 30_000, 200_000, (0.8, 0.9))
_REHAB = Event("rehabilitation", 0.0, 20_000, 120_000, (0.3, 0.6))


def _with(event: Event, share: float, **changes: object) -> Event:
    return Event(**{**event.__dict__, "share": share, **changes})


CANCER = "Huang 2016 (reference: 2012-14 first-year cost)"
SCENARIOS = (
    # -- solid cancers
    Scenario("lung", "solid cancer", "C34.1", "course", (61_100, 100_000), 2014, CANCER, "cancer",
             (_relapse(0.3), _targeted(0.55))),
    Scenario("breast", "solid cancer", "C50.9", "course", (52_300, 100_000), 2014, CANCER, "cancer",
             (_relapse(0.2), _targeted(0.35, 50_000, 250_000))),
    Scenario("liver", "solid cancer", "C22.0", "course", (53_100, 100_000), 2014, CANCER, "cancer",
             (_relapse(0.35), _targeted(0.5, 60_000, 300_000),
              Event("liver transplant", 0.05, 300_000, 600_000, (0.5, 0.7)))),
    Scenario("colorectal", "solid cancer", "C20", "course", (67_300, 100_000), 2014, CANCER, "cancer",
             (_relapse(0.25), _targeted(0.35, 60_000, 250_000))),
    Scenario("stomach", "solid cancer", "C16.9", "course", (60_600, 100_000), 2014, CANCER, "cancer",
             (_relapse(0.3), _targeted(0.3, 50_000, 250_000))),
    Scenario("cervical", "solid cancer", "C53.9", "course", (53_400, 151_500), 2018, "Wu 2020 (reference)", "cancer",
             (_relapse(0.2), _targeted(0.2, 50_000, 200_000))),
    Scenario("oesophageal", "solid cancer", "C15.9", "course", (64_400, 100_000), 2014, CANCER, "cancer",
             (_relapse(0.3), _targeted(0.25, 50_000, 250_000))),
    Scenario("nasopharyngeal", "solid cancer", "C11.9", "course", (50_000, 150_000), 2020, "reference (estimate)",
             "cancer", (_relapse(0.2), _targeted(0.25, 50_000, 250_000))),
    Scenario("pancreatic", "solid cancer", "C25.9", "course", (50_000, 200_000), 2020, "reference (estimate)",
             "cancer", (_relapse(0.3), _targeted(0.25, 50_000, 250_000))),
    Scenario("glioma", "solid cancer", "C71.9", "course", (80_000, 300_000), 2020, "reference (estimate)", "general",
             (_relapse(0.4), _targeted(0.2, 50_000, 200_000), _with(_REHAB, 0.3))),
    Scenario("ovarian", "solid cancer", "C56", "course", (50_000, 150_000), 2020, "reference (estimate)", "cancer",
             (_relapse(0.4), _targeted(0.3, 50_000, 250_000))),
    Scenario("kidney_cancer", "solid cancer", "C64", "course", (50_000, 150_000), 2020, "reference (estimate)",
             "cancer", (_relapse(0.25), _targeted(0.5, 60_000, 300_000))),
    Scenario("osteosarcoma", "solid cancer", "C40.2", "course", (100_000, 300_000), 2020, "reference (estimate)",
             "cancer", (_relapse(0.25), Event("tumour prosthesis", 0.5, 50_000, 200_000, (0.3, 0.6)))),
    Scenario("neuroblastoma", "solid cancer", "C74.9", "course", (200_000, 800_000), 2020, "reference (estimate)",
             "children", (_relapse(0.3, 0.3, 1.0), _with(_HSCT, 0.5, low=150_000, high=400_000),
                          Event("anti-GD2 antibody", 0.15, 300_000, 1_000_000, (0.0, 0.0)))),
    # -- blood cancers
    Scenario("leukaemia_adult", "blood cancer", "C92.0", "course", (200_000, 800_000), 2022,
             "reference adult leukaemia (low confidence)", "blood",
             (_with(_HSCT, 0.4), _relapse(0.25, 0.3, 1.0), _with(_CAR_T, 0.03), _with(_ICU, 0.2, low=50_000))),
    Scenario("leukaemia_child", "blood cancer", "C91.0", "course", (300_000, 500_000), 2022,
             "reference childhood leukaemia (BMC HSR 2022)", "children",
             (_with(_HSCT, 0.15), _relapse(0.15, 0.3, 1.0), _with(_CAR_T, 0.02))),
    Scenario("cml", "blood cancer", "C92.1", "year", (10_000, 60_000), 2022, "estimate: generic imatinib", "blood",
             (Event("second-generation TKI", 0.3, 60_000, 200_000, (0.5, 0.9)), _with(_HSCT, 0.02))),
    Scenario("lymphoma_adult", "blood cancer", "C83.3", "course", (60_000, 200_000), 2020, "reference (estimate)",
             "blood", (_relapse(0.25), _with(_HSCT, 0.15, low=150_000, high=300_000), _with(_CAR_T, 0.03),
                       _targeted(0.2, 50_000, 200_000))),
    Scenario("lymphoma_child", "blood cancer", "C83.5", "course", (100_000, 300_000), 2020,
             "reference childhood lymphoma (estimate)", "children", (_relapse(0.15), _with(_HSCT, 0.05))),
    Scenario("myeloma", "blood cancer", "C90.0", "year", (50_000, 150_000), 2022, "estimate: bortezomib-based",
             "blood", (Event("daratumumab", 0.35, 200_000, 400_000, (0.0, 0.6)),
                       _with(_HSCT, 0.2, low=100_000, high=250_000))),
    # -- other blood diseases
    Scenario("thalassaemia", "blood, other", "D56.1", "year", (40_000, 70_000), 2023, "reference", "children",
             (_with(_HSCT, 0.35, low=300_000, high=600_000),)),
    Scenario("aplastic_anaemia", "blood, other", "D61.9", "course", (150_000, 500_000), 2022,
             "reference (low confidence)", "blood",
             (_with(_ICU, 0.2, low=50_000, high=300_000), Event("self-paid transplant costs", 0.3, 100_000, 300_000,
                                                                 (0.0, 0.3)))),
    Scenario("haemophilia", "blood, other", "D66", "year", (31_000, 57_400), 2019, "reference (high confidence)",
             "blood", (Event("inhibitor or surgery", 0.15, 50_000, 300_000, (0.5, 0.8)),
                       Event("emicizumab", 0.1, 150_000, 400_000, (0.3, 0.7)))),
    # -- acute illness and injury
    Scenario("cerebral_haemorrhage", "acute, ICU", "I61.9", "course", (38_800, 200_000), 2013,
             "reference (Zhang 2019; upper: craniotomy + ICU)", "acute", (_with(_ICU, 0.5), _with(_REHAB, 0.6))),
    Scenario("brain_injury", "acute, ICU", "S06.2", "course", (50_000, 300_000), 2020, "reference (estimate)", "acute",
             (_with(_ICU, 0.6, high=250_000), _with(_REHAB, 0.6, high=150_000))),
    Scenario("burns", "acute, ICU", "T31.5", "course", (100_000, 500_000), 2020, "reference (estimate)", "acute",
             (_with(_ICU, 0.5, low=50_000, high=300_000), _with(_REHAB, 0.5, high=150_000, in_list=(0.2, 0.4)))),
    Scenario("aortic_dissection", "acute, ICU", "I71.0", "course", (100_000, 300_000), 2020, "reference (estimate)",
             "heart", (_with(_ICU, 0.3, high=150_000),
                       Event("imported stent graft", 0.4, 50_000, 150_000, (0.3, 0.6)))),
    Scenario("myocardial_infarction", "acute, ICU", "I21.9", "course", (13_000, 52_000), 2014,
             "reference (high confidence)", "heart", (_with(_ICU, 0.15, low=20_000, high=100_000),
                                                     Event("bypass surgery", 0.05, 80_000, 150_000, (0.8, 0.9)))),
    Scenario("cerebral_infarction", "acute, ICU", "I63.9", "course", (10_100, 17_700), 2013,
             "reference (high confidence)", "acute",
             (Event("thrombectomy", 0.2, 50_000, 120_000, (0.8, 0.9)), _with(_ICU, 0.15, high=150_000),
              _with(_REHAB, 0.7, high=150_000))),
    # -- chronic illness (a year at a time)
    Scenario("uraemia", "chronic", "N18.5", "year", (80_763, 132_253), 2013, "reference (high confidence)", "general",
             (Event("kidney transplant", 0.2, 150_000, 350_000, (0.5, 0.7)),
              Event("complications", 0.3, 20_000, 100_000, (0.8, 0.9)))),
    Scenario("sma", "chronic", "G12.1", "year", (99_000, 198_000), 2022, "reference (NRDL nusinersen price)",
             "children", (_with(_REHAB, 0.5, high=100_000, in_list=(0.2, 0.5)),)),
    Scenario("gaucher", "chronic", "E75.2", "year", (918_600, 2_273_000), 2019, "reference (high confidence)",
             "general", in_list=(0.4, 0.8), years=(1,)),
    Scenario("pneumoconiosis", "chronic", "J62.8", "year", (10_000, 50_000), 2020, "reference (estimate)", "general",
             (Event("lung lavage", 0.3, 20_000, 60_000, (0.6, 0.8)),)),
    Scenario("mdr_tb", "chronic", "A15.0", "course", (39_400, 54_700), 2018,
             "reference (Wang 2020: insurance covered 37% of direct medical)", "general", in_list=(0.35, 0.55)),
    Scenario("lupus", "chronic", "M32.1", "year", (20_000, 80_000), 2024, "estimate: lupus nephritis", "general",
             (Event("belimumab or telitacicept", 0.2, 50_000, 150_000, (0.5, 0.8)),
              _with(_ICU, 0.1, low=30_000, high=150_000))),
    # -- lower-cost operations
    Scenario("cataract", "lower cost", "H25.9", "course", (3_000, 8_000), 2020, "reference (estimate)", "eye",
             (Event("premium lens", 0.3, 5_000, 20_000, (0.0, 0.3)),)),
    Scenario("cleft", "lower cost", "Q37.9", "course", (4_000, 30_000), 2012,
             "reference (Xinhua 2006, China Daily 2012)", "children",
             (Event("further operations and orthodontics", 0.4, 10_000, 40_000, (0.3, 0.7)),)),
    Scenario("chd", "lower cost", "Q21.0", "course", (22_600, 64_900), 2020, "reference (high confidence)", "heart",
             (_with(_ICU, 0.15, high=150_000),)),
    Scenario("deafness_child", "lower cost", "H90.3", "course", (100_000, 300_000), 2020,
             "reference (estimate: cochlear implant)", "children",
             (_with(_REHAB, 0.7, low=20_000, high=80_000, in_list=(0.1, 0.4)),), in_list=(0.3, 0.7)),
    # -- illnesses the disease-cost library does not carry (counted, not checked)
    Scenario("severe_pneumonia", "not in library", "J18.9", "course", (50_000, 200_000), 2024, "estimate", "acute",
             (_with(_ICU, 0.5),)),
    Scenario("liver_failure", "not in library", "K72.9", "course", (150_000, 500_000), 2024, "estimate", "general",
             (Event("liver transplant", 0.15, 300_000, 600_000, (0.5, 0.7)),)),
    Scenario("fracture", "not in library", "S72.0", "course", (30_000, 100_000), 2024, "estimate", "acute",
             (_with(_REHAB, 0.5),)),
    Scenario("pancreatitis", "not in library", "K85.9", "course", (100_000, 300_000), 2024, "estimate", "acute",
             (_with(_ICU, 0.6),)),
)  # fmt: skip
SCENARIOS_BY_KEY = {s.key: s for s in SCENARIOS}


@dataclass(frozen=True)
class PapDrug:
    scenario: str
    drug: str
    cycle_value: int
    paid_cycles: int
    free_cycles: int
    hardship_free: bool

    @property
    def most_cycles(self) -> int:
        """The most cycles the program gives one patient (paid and free for hardship, else the free ones)."""
        return self.paid_cycles + self.free_cycles if self.hardship_free else self.free_cycles


# The PAP terms of cases.lib.synthetic (modelled on real programs).
PAP_DRUGS = (
    (PapDrug("lung", "甲磺酸伏美替尼片", 12_000, 3, 9, True), 55),
    (PapDrug("cml", "达沙替尼片", 9_000, 3, 9, False), 25),
    (PapDrug("myeloma", "达雷妥尤单抗注射液", 28_000, 4, 6, True), 20),
)
HARDSHIP_SHARE = 0.27
# Foundation program caps per case (cash grants mostly <= 50,000, seeds/004), by scenario where special.
GRANT_CAPS = (20_000, 30_000, 40_000, 50_000)
GRANT_CAPS_BY_SCENARIO = {"cataract": (6_000,), "cleft": (20_000,), "chd": (40_000,)}


@dataclass(frozen=True)
class Case:
    channel: str
    scenario: str
    group: str
    code: str
    hospital_level: str
    insurance: str
    ci_payout: Decimal | None
    gross_cost: Decimal  # everything, before insurance and payout
    need: Decimal  # true out-of-pocket need: what the family must find itself
    amount: Decimal  # what the honest family asks
    basis: str  # how the family set the amount: net, gross, ci_pending, grant, pap
    years: int  # years covered (1 for a course)
    fund_share: float  # share of the medical cost the fund paid (for the calibration table only)
    base_fund_share: float  # the same for the base treatment alone, comparable to seeds/004's figures


def weighted(rng: random.Random, weights: dict) -> object:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def spread(rng: random.Random, low: float, high: float, sigma_min: float = 0.0) -> float:
    """Log-normal with low and high as its 10th and 90th percentiles (sigma at least sigma_min)."""
    sigma = max(math.log(high / low) / 2.5631, sigma_min)
    return math.exp(rng.gauss(math.log(math.sqrt(low * high)), sigma))


def cny(value: float) -> Decimal:
    return Decimal(round(value))


def round_up(amount: Decimal, step: int) -> Decimal:
    return (amount / step).to_integral_value(rounding=ROUND_CEILING) * step


def family_rounding(rng: random.Random, amount: Decimal) -> Decimal:
    """Families round a target up: to 5,000 or 10,000 under 100,000; 10,000 or 50,000 under 500,000;
    50,000 or 100,000 above. Never under 10,000."""
    if amount < 100_000:
        step = 10_000 if rng.random() < 0.7 else 5_000
    elif amount < 500_000:
        step = 50_000 if rng.random() < 0.6 else 10_000
    else:
        step = 100_000 if rng.random() < 0.6 else 50_000
    return max(Decimal(10_000), round_up(amount, step))


class Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def cases(self, channel: str, count: int) -> Iterator[Case]:
        from cases.lib.synthetic import DISEASES_BY_KEY  # disease mix only: how often each is seen

        if channel == "pap":
            drugs = {drug: weight for drug, weight in PAP_DRUGS}
            for _ in range(count):
                yield self.pap_case(weighted(self.rng, drugs))
            return
        attribute = "weight_crowdfunding" if channel == "crowdfunding" else "weight_foundation"
        mix = {s: getattr(DISEASES_BY_KEY[s.key], attribute) for s in SCENARIOS}
        made = 0
        while made < count:
            case = self.case(channel, weighted(self.rng, mix))
            if case is not None:
                made += 1
                yield case

    # -- the illness and its cost --------------------------------------------------------------

    def draw(self, scenario: Scenario, channel: str, years: int) -> dict:
        rng = self.rng
        level = weighted(rng, LEVELS)
        grade = level[:1] or "3"
        price = rng.uniform(*LEVEL_PRICE_3BC) if level in ("3B", "3C") else rng.uniform(*LEVEL_PRICE[grade])
        growth = (1 + PRICE_GROWTH) ** max(0, PRICE_TO - scenario.price_year)
        base = spread(rng, *scenario.published, BASE_SPREAD_MIN) * growth * price * years
        in_list = base * rng.uniform(*scenario.in_list)
        out_list = base - in_list
        base_in_list = in_list
        for event in scenario.events:
            if rng.random() < event.share:
                cost = spread(rng, event.low, event.high) * (base if event.relative else growth)
                share = rng.uniform(*event.in_list)
                in_list += cost * share
                out_list += cost * (1 - share)
        insurance = weighted(rng, INSURANCE_MIX[channel])
        distant = rng.random() < DISTANT[scenario.care]
        rate = rng.uniform(*REIMBURSEMENT[insurance])
        if insurance != "none" and distant and rng.random() < 0.5:
            rate = max(0.0, rate - rng.uniform(0.05, 0.2))  # out of province without a registered referral
        deductible = rng.uniform(1_000, 8_000) if insurance != "none" else 0.0
        fund = max(0.0, in_list * rate - deductible)
        nonmedical = spread(rng, 15_000, 80_000) if distant else spread(rng, 2_000, 15_000)
        nonmedical *= years
        medical = in_list + out_list
        ci_payout = None
        if rng.random() < CI_SHARE[insurance]:
            ci_payout = Decimal(max(30_000, min(1_000_000, round(spread(rng, 50_000, 500_000) / 10_000) * 10_000)))
        oop = cny(medical - fund + nonmedical)
        need = max(Decimal(0), oop - (ci_payout or 0))
        return {
            "level": level,
            "insurance": insurance,
            "ci_payout": ci_payout,
            "gross_cost": cny(medical + nonmedical),
            "oop": oop,
            "need": need,
            "fund_share": fund / medical,
            "base_fund_share": max(0.0, base_in_list * rate - deductible) / base,
        }

    def case(self, channel: str, scenario: Scenario) -> Case | None:
        rng = self.rng
        years = rng.choice(scenario.years) if scenario.unit == "year" and channel == "crowdfunding" else 1
        drawn = self.draw(scenario, channel, years)
        need = drawn["need"]
        if channel == "crowdfunding":
            if need < 5_000:
                return None  # nothing to raise: no campaign
            roll = rng.random()
            if roll < 0.2:
                basis, asked = "gross", drawn["gross_cost"]  # the hospital's estimate of the whole cost
            elif drawn["ci_payout"] is not None and roll < 0.5:
                basis, asked = "ci_pending", drawn["oop"]  # payout not in yet: not counted
            else:
                basis, asked = "net", need
            margin = rng.uniform(1.0, 1.3) if rng.random() < 0.8 else rng.uniform(1.3, 2.0)
            amount = family_rounding(rng, asked * Decimal(f"{margin:.3f}"))
        else:
            if need < 1_000:
                return None
            cap = rng.choice(GRANT_CAPS_BY_SCENARIO.get(scenario.key, GRANT_CAPS))
            if rng.random() < 0.05:
                cap = rng.randint(60, 150) * 1_000  # asks beyond any cash grant
            amount = min(need, Decimal(cap))
            amount = round_up(amount, 1_000) if rng.random() < 0.6 else amount + Decimal(rng.randint(0, 99)) / 100
            basis = "grant"
        return Case(
            channel=channel,
            scenario=scenario.key,
            group=scenario.group,
            code=scenario.code,
            hospital_level=drawn["level"],
            insurance=drawn["insurance"],
            ci_payout=drawn["ci_payout"],
            gross_cost=drawn["gross_cost"],
            need=need,
            amount=amount,
            basis=basis,
            years=years,
            fund_share=drawn["fund_share"],
            base_fund_share=drawn["base_fund_share"],
        )

    def pap_case(self, drug: PapDrug) -> Case:
        rng = self.rng
        scenario = SCENARIOS_BY_KEY[drug.scenario]
        drawn = self.draw(scenario, "pap", 1)
        if drug.hardship_free and rng.random() < HARDSHIP_SHARE:
            cycles = drug.paid_cycles + drug.free_cycles
        else:
            cycles = drug.free_cycles if rng.random() < 0.85 else rng.randint(1, drug.free_cycles)
        value = Decimal(drug.cycle_value * cycles)
        return Case(
            channel="pap",
            scenario=scenario.key,
            group=scenario.group,
            code=scenario.code,
            hospital_level=drawn["level"],
            insurance=drawn["insurance"],
            ci_payout=drawn["ci_payout"],
            gross_cost=drawn["gross_cost"],
            need=value,  # the drug the family would otherwise buy
            amount=value,
            basis="pap",
            years=1,
            fund_share=drawn["fund_share"],
            base_fund_share=drawn["base_fund_share"],
        )


def channel_rounding(rng: random.Random, channel: str, raw: Decimal) -> Decimal:
    """An amount rounded up as the channel rounds: a family's target, or whole thousands for a request."""
    if channel == "crowdfunding":
        return family_rounding(rng, raw)
    return round_up(raw, 1_000)


def inflate(rng: random.Random, case: Case, multiplier: Decimal) -> Decimal:
    """An amount multiplier times the case's own true need, rounded up as the channel rounds."""
    return channel_rounding(rng, case.channel, case.need * multiplier)
