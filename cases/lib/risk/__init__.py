"""Explained risk score: how likely an application is fraudulent or exaggerated, with its reasons.

A logistic regression (scikit-learn) over a few interpretable features of one application
(`features`, documented in `FEATURES`), standardised against the training data. The score is the
fitted probability, from 0 to 1, four decimals. Its explanation is exact for a linear model: with
every feature standardised against the training mean, ``logit(score) = intercept + sum of
contributions`` where a feature's contribution is ``coefficient × (value − training mean) /
training spread``. Features that tell one story (the target against the expected and the highest
out-of-pocket; the same person's other applications, channels and campaigns; assistance against
income) are summed into one factor (`FACTOR_GROUPS`), so two correlated features never show
opposite pushes. The factors with the largest positive sums, at least `MIN_CONTRIBUTION` log-odds,
at most three, are the "factors raising the risk", written out with the case's own numbers
(`explain`). Below `QUIET_BELOW`, or with no such factor, a score carries the single
`NOTHING_UNUSUAL` factor. A value the application cannot give (no cost estimate for an unknown
diagnosis, assets not declared) is taken at the training mean, so it contributes nothing by
itself; an indicator feature (`diagnosis_unknown`, `assets_undeclared`) carries what its absence
says.

Building `RiskInputs` from a case: `expected_oop` and `highest_oop` come from the disease-cost
library (None without an estimate); `income_consistent` from `cases.lib.tiers.assess`; assets
stay None when the household did not declare them (not 0); `other_applications` counts the same
person's other cases for the same illness episode, `other_channels` the distinct (channel, source)
pairs among them other than this case's own, `other_campaigns` the crowdfunding campaigns among
them.

Scoring needs only numpy and the JSON model (`RiskModel.to_dict`, format ``tongzhou-risk/1``); no
pickles. Training needs scikit-learn. ``train()`` is deterministic: the same arguments give the
same model dict (one BLAS thread, Newton steps to a tight tolerance, parameters rounded to eight
significant digits), and the version string is ``risk-<seed>-<sha8>`` where sha8 hashes the
fitted parameters (feature names, means, spreads, coefficients, intercept, threshold);
`RiskModel.from_dict` refuses a dict whose parameters do not match its version. The shipped
``default_model.json`` is ``train()`` with the defaults:
``python -c 'from cases.lib import risk; risk.train().save(risk.DEFAULT_MODEL_PATH)'``.

Threshold (`RiskScore.flagged`): chosen to maximise F1 on out-of-fold predictions (5 folds) of the
training part only, so the held-out part reports precision and recall the threshold was not tuned
on. Maximum F1 rather than a precision target because both kinds of error cost a case worker's
time here: a flag only sends the case to review.

Synthetic labelled data (`synthetic_dataset`), until real labels exist
-----------------------------------------------------------------------
Generator ``risk-synthetic/2``. Its shares and weights are cases.lib.synthetic's where that
generator has them (channels, household sizes, assistance, raiser relations, documents, identity
numbers, repeat applications, platforms, money raised), imported rather than copied; its
insurance mix, household incomes, hospital levels and critical-illness payout shares repeat that
generator's figures as literals, and its well-off households' cars (80,000-300,000, 60%) differ
from it (100,000-400,000, 80%): sharing them changes the draws and needs a retrain. No case in
the generator carries its label in one feature; every sign of fraud also occurs in honest
applications, and a fraudulent one shows only some of the signs. Assumptions:

- Prevalence: 7% fraudulent or exaggerated (`FRAUD_SHARE`). Fraud leans towards crowdfunding
  (72% of fraud, 55% of honest applications), then foundation aid, then PAP.
- Costs, exactly as production's cost check reports them: an illness is drawn from
  cases.lib.synthetic.DISEASES with that generator's weights for the channel (PAP: the
  programmes' indications), one of its diagnosis codes, and the library entry
  ``disease_library.find_by_code`` gives for it; a hospital level (3A; 15% a city hospital, 3A/3B
  or 2A, as synthetic places patients outside the municipalities); basic insurance by household;
  a critical-illness payout (30% of upper-income households, 7% of others, 50,000-500,000).
  ``costs.estimate`` (formula costs/1, the fund shares of ``costs.FUND_SHARES``) then gives the
  expected and the highest plausible out-of-pocket. The expected one that the application carries
  is after the payout, as production's is; targets are drawn around the one before it (the cost
  of care). A childhood illness makes the patient a child; other patients are adults (55) or
  elderly (25). 5% of honest applications have an unknown diagnosis (free text nobody could
  code); another 8% have a known diagnosis the library lacks, so no cost estimate.
- Honest targets: a campaign asks for about 3.5 times the expected out-of-pocket before any
  payout (log-normal, sd 0.45 in log), so mostly under the highest plausible amount; 12% ask for
  0.9 to 2.5 times the highest plausible amount (targeted drugs, transplants, CAR-T). Foundation
  requests are grants of 10,000–50,000; 5% ask 60,000–150,000. PAP requests are the programme's
  drug terms (54,000 to 220,000), so they are not evidence (see `features`).
- Honest noise: each expected document is missing with the shares the platforms show
  (synthetic.DOCUMENT_SHARES: id card 10%, diagnosis certificate 8%, medical record 20%, asset
  declaration 15%); each required document 7%. 33% give no identity number. The raiser is
  unrelated ("other": a friend, a colleague, a village official) in 9–14% of campaigns. 8% of
  honest people apply more than once for the same illness, mostly a campaign plus a foundation
  grant or a PAP, sometimes a second campaign (usually a renewal on the same platform). 1% declare
  state assistance against an income that contradicts it (an out-of-date status). Households by
  tier as in cases.lib.synthetic: hardship families have a house at most and little savings;
  sandwich families 0–2 houses, a car 45% of the time, savings up to 80,000; upper-income
  households (12% of campaigns) 1–3 houses, often a car of 80,000–300,000, and 7–30% hold a
  critical-illness payout. A family launches a campaign once treatment has eaten most of its
  savings: what it still declares is at most 0.6 times its need.
- Fraud schemes (`SCHEME_WEIGHTS`, by channel), one per case, a second one 40% of the time:
  inflated target (three quarters 1.8–10× the highest plausible out-of-pocket, a quarter only
  1.2–2.5×, where honest expensive treatment also lies; at a foundation, beyond any grant);
  hidden or ample assets (two to four houses 60%, cars and savings of 1.5–6× the target 70%, no
  declaration at all 35% of campaigns, a critical-illness payout covering the target 20%);
  assistance claimed against a high income (60% declare the income truthfully and contradict
  themselves, 40% under-declare it at 4,000–12,000 a person, which only a car or houses may
  betray); the same illness raised on several platforms
  (one to four other applications, three quarters of them campaigns); a fabricated illness
  (unknown diagnosis 55%, no medical evidence 50%, no identity number 60%, unrelated raiser 35%).
  Everything else about a fraudulent case is drawn as for an honest one, except that each
  document comes 15% less often, the identity number 55% of the time, and an unrelated raiser is
  1.5 times as likely.

The generator is a model of the world, not the world: the precision and recall it reports measure
how well the model separates what the generator assumes. Retrain on real labels when case workers
have produced them (the features and the JSON format stay).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from cases.lib import costs, disease_library, money, synthetic, tiers

MODEL_FORMAT = "tongzhou-risk/1"
GENERATOR_VERSION = "risk-synthetic/2"
DEFAULT_MODEL_PATH = Path(__file__).with_name("default_model.json")
DEFAULT_SEED = 20261123

__all__ = [
    "MODEL_FORMAT", "FEATURES", "RiskInputs", "Factor", "RiskScore", "RiskModel", "features",
    "synthetic_dataset", "train", "default_model",
]  # fmt: skip


# --------------------------------------------------------------------------------------------
# Inputs and outputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskInputs:
    """What the risk score reads of one application, as plain values (money as Decimal)."""

    channel: str  # crowdfunding | foundation_aid | pap
    request_amount: Decimal  # target or aid request
    expected_oop: Decimal | None  # from the disease-cost library; None when the diagnosis is unknown
    highest_oop: Decimal | None  # highest plausible out-of-pocket; None when unknown
    annual_income: Decimal
    household_size: int
    dibao_status: str  # dibao | tekun | jiandang | dibao_edge | none
    income_consistent: bool  # False when declared assistance contradicts income (cases.lib.tiers.assess)
    houses: int | None  # None = not declared
    car_value: Decimal | None
    financial_assets: Decimal | None
    raised: Decimal | None  # crowdfunding money raised so far
    raiser_relation: str | None  # self | spouse | parent | child | sibling | other; None outside crowdfunding
    documents: frozenset[str]  # document types present (exchange format list)
    required_documents: frozenset[str]  # what the target program requires (may be empty)
    other_applications: int  # the same person's other cases for the same illness (any channel/source)
    other_channels: int  # distinct (channel, source) among them, this case's own source not counted
    id_number_given: bool
    diagnosis_known: bool
    insurance: str  # employee | resident | none
    critical_illness_payout: Decimal | None
    # Added: how many of the other applications are crowdfunding campaigns (any platform). A campaign
    # plus a foundation grant is common and honest; the same illness on several platforms is not.
    other_campaigns: int = 0


@dataclass(frozen=True)
class Factor:
    code: str  # a FACTOR_GROUPS key, or "nothing_unusual"
    words: str  # a sentence with the case's numbers
    contribution: float  # to the log-odds of the score, against an average training application


@dataclass(frozen=True)
class RiskScore:
    score: Decimal  # 0 to 1, four decimals
    factors: tuple[Factor, ...]  # factors raising the risk, largest first, at most 3
    model_version: str
    flagged: bool = False  # score at or above the model's threshold


# --------------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------------

HARDSHIP_INCOME_PER_PERSON = 6_000  # CNY a year: what state-assistance families typically live on
MEDICAL_EVIDENCE = frozenset(
    {"diagnosis_certificate", "medical_record", "discharge_summary", "hospital_invoice", "prescription"}
)
_DIAGNOSIS_PROOF = ("diagnosis_certificate", "medical_record")
# What each channel normally needs besides the programme's list; a tuple is "any one of these".
EXPECTED_DOCUMENTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "crowdfunding": (("id_card",), _DIAGNOSIS_PROOF, ("asset_declaration",)),
    "foundation_aid": (_DIAGNOSIS_PROOF,),
    "pap": (("prescription",), _DIAGNOSIS_PROOF),
}
MAX_ASSET_RATIO = 5.0
MAX_PAYOUT_RATIO = 3.0
MAX_COUNT = {"other_applications": 5, "other_channels": 4, "other_campaigns": 4, "documents_missing": 4}

# Name -> what it measures. The order is the model's column order.
FEATURES: dict[str, str] = {
    "target_over_highest_oop": "log(request / highest plausible out-of-pocket), 0 when not above it; "
    "unknown for PAP (the programme sets the amount) or without a cost estimate",
    "target_over_expected_oop": "log(request / expected out-of-pocket), clipped to [-3, 4]; unknown as above",
    "assets_over_need": "for a campaign, (financial assets + car value) / need, at most 5, where need is the "
    "target or, when lower, the highest plausible out-of-pocket (so an inflated target does not hide ample "
    "assets); unknown when neither is declared, and outside crowdfunding (foundation and PAP requests are small "
    "grants or drug terms, so the ratio says little there)",
    "two_or_more_houses": "1 when the household declares two or more houses; unknown when not declared",
    "assets_undeclared": "1 for a campaign whose household left houses, car or financial assets undeclared",
    "assistance_income_excess": "with state assistance claimed: log(income per person / 6,000), 0 when below",
    "income_inconsistent": "1 when declared assistance contradicts the income (cases.lib.tiers.assess)",
    "payout_over_target": "critical-illness insurance payout / request, at most 3; 0 without a payout",
    "documents_missing": "required documents missing plus the channel's usual ones missing, at most 4",
    "no_medical_evidence": "1 when no diagnosis certificate, medical record, discharge summary, invoice "
    "or prescription came with the application",
    "raiser_unrelated": "1 for a campaign raised by someone outside the family (relation 'other')",
    "other_applications": "the same person's other applications for the same illness, at most 5",
    "other_channels": "distinct other channels or sources among them, at most 4",
    "other_campaigns": "other crowdfunding campaigns among them, at most 4",
    "id_number_missing": "1 when the application gives no identity number",
    "diagnosis_unknown": "1 when the diagnosis could not be matched to a known illness",
    "raised_over_expected_oop": "log(money raised / expected out-of-pocket), 0 when not above it; "
    "unknown without a cost estimate",
}
FEATURE_NAMES = tuple(FEATURES)


def features(inputs: RiskInputs) -> dict[str, float]:
    """The named features of one application (see FEATURES); NaN where the value is unknown."""
    nan = math.nan
    request = float(inputs.request_amount)
    expected = _positive(inputs.expected_oop)
    highest = _positive(inputs.highest_oop)
    anchored = inputs.channel != "pap" and request > 0
    out: dict[str, float] = {}
    out["target_over_highest_oop"] = max(0.0, math.log(request / highest)) if anchored and highest else nan
    out["target_over_expected_oop"] = _clip(math.log(request / expected), -3, 4) if anchored and expected else nan
    declared = [v for v in (inputs.financial_assets, inputs.car_value) if v is not None]
    campaign = inputs.channel == "crowdfunding"
    out["assets_over_need"] = (
        min(float(sum(declared)) / max(_need(request, highest), 1.0), MAX_ASSET_RATIO) if declared and campaign else nan
    )
    out["two_or_more_houses"] = nan if inputs.houses is None else float(inputs.houses >= 2)
    undeclared = inputs.houses is None or inputs.car_value is None or inputs.financial_assets is None
    out["assets_undeclared"] = float(campaign and undeclared)
    per_person = float(inputs.annual_income) / max(inputs.household_size, 1)
    assisted = inputs.dibao_status in tiers.ASSISTANCE
    out["assistance_income_excess"] = (
        max(0.0, math.log(max(per_person, 1.0) / HARDSHIP_INCOME_PER_PERSON)) if assisted else 0.0
    )
    out["income_inconsistent"] = float(not inputs.income_consistent)
    payout = float(inputs.critical_illness_payout or 0)
    out["payout_over_target"] = min(payout / max(request, 1.0), MAX_PAYOUT_RATIO)
    out["documents_missing"] = float(min(len(missing_documents(inputs)), MAX_COUNT["documents_missing"]))
    out["no_medical_evidence"] = float(not (inputs.documents & MEDICAL_EVIDENCE))
    out["raiser_unrelated"] = float(inputs.channel == "crowdfunding" and inputs.raiser_relation == "other")
    for name in ("other_applications", "other_channels", "other_campaigns"):
        out[name] = float(min(max(getattr(inputs, name), 0), MAX_COUNT[name]))
    out["id_number_missing"] = float(not inputs.id_number_given)
    out["diagnosis_unknown"] = float(not inputs.diagnosis_known)
    raised = float(inputs.raised or 0) if inputs.channel == "crowdfunding" else 0.0
    if raised <= 0:
        out["raised_over_expected_oop"] = 0.0
    else:
        out["raised_over_expected_oop"] = max(0.0, math.log(raised / expected)) if expected else nan
    return out


def missing_documents(inputs: RiskInputs) -> list[str]:
    """Required documents not present, then the channel's usual ones ("a or b" for alternatives)."""
    missing = sorted(inputs.required_documents - inputs.documents)
    for group in EXPECTED_DOCUMENTS.get(inputs.channel, ()):
        if not (set(group) & inputs.documents) and not (set(group) & set(missing)):
            missing.append(" or ".join(group))
    return missing


def _need(request: float, highest: float | None) -> float:
    return min(request, highest) if highest else request


def _positive(value: Decimal | None) -> float | None:
    return float(value) if value is not None and value > 0 else None


def _clip(x: float, low: float, high: float) -> float:
    return min(max(x, low), high)


# --------------------------------------------------------------------------------------------
# Explanations in words
# --------------------------------------------------------------------------------------------


def _money(value: Decimal | None) -> str:
    return money.format_cny(value or ZERO_CNY)


def _times(a: Decimal, b: Decimal | int) -> str:
    return f"{a / b:.1f}×" if b else "—"


def _and(words: Sequence[str]) -> str:
    return " and ".join(words) if len(words) < 3 else f"{', '.join(words[:-1])} and {words[-1]}"


def _what(inputs: RiskInputs) -> str:
    return "target" if inputs.channel == "crowdfunding" else "request"


# Features that tell one story are explained together: their contributions are summed into one
# factor, so two correlated features cannot show a large push each while cancelling out.
FACTOR_GROUPS: dict[str, tuple[str, ...]] = {
    "target_vs_cost": ("target_over_highest_oop", "target_over_expected_oop"),
    "assets_over_need": ("assets_over_need",),
    "two_or_more_houses": ("two_or_more_houses",),
    "assets_undeclared": ("assets_undeclared",),
    "assistance_vs_income": ("assistance_income_excess", "income_inconsistent"),
    "payout_over_target": ("payout_over_target",),
    "documents_missing": ("documents_missing",),
    "no_medical_evidence": ("no_medical_evidence",),
    "raiser_unrelated": ("raiser_unrelated",),
    "other_applications": ("other_applications", "other_channels", "other_campaigns"),
    "id_number_missing": ("id_number_missing",),
    "diagnosis_unknown": ("diagnosis_unknown",),
    "raised_over_expected_oop": ("raised_over_expected_oop",),
}
assert sorted(f for group in FACTOR_GROUPS.values() for f in group) == sorted(FEATURES)


ZERO_CNY = Decimal("0")


def explain(code: str, inputs: RiskInputs) -> str:
    """A sentence with the case's numbers (Decimal, as the case holds them) saying what the factor
    `code` (FACTOR_GROUPS) found."""
    request, what = inputs.request_amount, _what(inputs)
    if code == "target_vs_cost":
        if inputs.highest_oop is None or inputs.expected_oop is None:
            return f"{what} {_money(request)} cannot be checked against a cost estimate"
        highest, expected = inputs.highest_oop, inputs.expected_oop
        return (
            f"{what} {_money(request)} is {_times(request, highest)} the highest plausible out-of-pocket "
            f"{_money(highest)} ({_times(request, expected)} the expected {_money(expected)})"
        )
    if code == "assets_over_need":
        parts = []
        if inputs.financial_assets:
            parts.append(f"financial assets {_money(inputs.financial_assets)}")
        if inputs.car_value:
            parts.append(f"a car worth {_money(inputs.car_value)}")
        total = (inputs.financial_assets or ZERO_CNY) + (inputs.car_value or ZERO_CNY)
        declared = " and ".join(parts) or "assets"
        highest = inputs.highest_oop if inputs.highest_oop and inputs.highest_oop > 0 else None
        need = min(request, highest) if highest else request
        of = f"the {what}" if need == request else "the highest plausible out-of-pocket"
        return f"declared {declared} come to {_times(total, need)} {of} {_money(need)}"
    if code == "two_or_more_houses":
        return f"the household declares {inputs.houses} houses against a {what} of {_money(request)}"
    if code == "assets_undeclared":
        left = [n for n, v in (("houses", inputs.houses), ("car", inputs.car_value),
                               ("financial assets", inputs.financial_assets)) if v is None]  # fmt: skip
        return f"the household did not declare its {_and(left)}"
    if code == "assistance_vs_income":
        size = max(inputs.household_size, 1)
        per_person = (inputs.annual_income / size).quantize(money.CENT)
        people = "1 person" if size == 1 else f"{size} people"
        contradiction = "" if inputs.income_consistent else ", which contradicts it"
        return (
            f"declares {inputs.dibao_status} state assistance but income is {_money(inputs.annual_income)} a year "
            f"for {people} ({_money(per_person)} a person, {_times(per_person, HARDSHIP_INCOME_PER_PERSON)} the "
            f"usual {HARDSHIP_INCOME_PER_PERSON:,} of assisted families{contradiction})"
        )
    if code == "payout_over_target":
        payout = inputs.critical_illness_payout or ZERO_CNY
        return (
            f"critical-illness insurance pays {_money(payout)}, {_times(payout, request)} the {what} {_money(request)}"
        )
    if code == "documents_missing":
        missing = missing_documents(inputs)
        noun = "document" if len(missing) == 1 else "documents"
        return f"{len(missing)} expected {noun} missing: {', '.join(missing)}"
    if code == "no_medical_evidence":
        return "no diagnosis certificate, medical record, discharge summary, invoice or prescription came with it"
    if code == "raiser_unrelated":
        return "the campaign is raised by someone outside the family (relation 'other')"
    if code == "other_applications":
        n, c, k = inputs.other_applications, inputs.other_channels, inputs.other_campaigns
        details = []
        if c:
            details.append(f"from {c} other channel{'s' if c != 1 else ''} or platform{'s' if c != 1 else ''}")
        if k:
            details.append(f"{k} of them {'a crowdfunding campaign' if k == 1 else 'crowdfunding campaigns'}")
        suffix = f" ({'; '.join(details)})" if details else ""
        return f"the same person has {n} other application{'s' if n != 1 else ''} for this illness{suffix}"
    if code == "id_number_missing":
        return "no identity number given"
    if code == "diagnosis_unknown":
        return "the diagnosis could not be matched to a known illness, so the target cannot be checked against a cost"
    if code == "raised_over_expected_oop":
        expected, raised = inputs.expected_oop or ZERO_CNY, inputs.raised or ZERO_CNY
        return (
            f"already raised {_money(raised)}, {_times(raised, expected)} the expected out-of-pocket {_money(expected)}"
        )
    raise KeyError(code)


NOTHING_UNUSUAL = Factor("nothing_unusual", "nothing unusual: no sign of fraud or exaggeration stands out", 0.0)


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------

MIN_CONTRIBUTION = 0.2  # log-odds: smaller pushes are not worth a case worker's attention
QUIET_BELOW = 0.1  # scores below this get the single "nothing unusual" factor


@dataclass(frozen=True)
class RiskModel:
    """Standardised logistic regression: per-feature mean, spread and coefficient, and a threshold."""

    feature_names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    metrics: dict[str, Any] = field(default_factory=dict)
    trained_on: dict[str, Any] = field(default_factory=dict)
    seed: int = DEFAULT_SEED
    quiet_below: float = QUIET_BELOW
    min_contribution: float = MIN_CONTRIBUTION

    def __post_init__(self) -> None:
        if tuple(self.feature_names) != FEATURE_NAMES:
            raise ValueError("the model's features differ from this code's (retrain it)")
        # Frozen, so the arrays and the version are worked out once (the version is read per scored case).
        object.__setattr__(self, "_mean", np.asarray(self.mean, dtype=np.float64))
        object.__setattr__(self, "_scale", np.asarray(self.scale, dtype=np.float64))
        object.__setattr__(self, "_coef", np.asarray(self.coef, dtype=np.float64))
        text = json.dumps(self._parameters(), sort_keys=True, separators=(",", ":"))
        object.__setattr__(self, "_version", f"risk-{self.seed}-{hashlib.sha256(text.encode()).hexdigest()[:8]}")

    # -- identity --------------------------------------------------------------------------

    def _parameters(self) -> dict[str, Any]:
        return {
            "features": list(self.feature_names),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "threshold": self.threshold,
        }

    @property
    def version(self) -> str:
        return self._version

    # -- JSON ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "version": self.version,
            "seed": self.seed,
            **self._parameters(),
            "quiet_below": self.quiet_below,
            "min_contribution": self.min_contribution,
            "feature_docs": dict(FEATURES),
            "metrics": dict(self.metrics),
            "trained_on": dict(self.trained_on),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskModel:
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"model format {data.get('format')!r}, expected {MODEL_FORMAT!r}")
        model = cls(
            feature_names=tuple(data["features"]),
            mean=tuple(float(v) for v in data["mean"]),
            scale=tuple(float(v) for v in data["scale"]),
            coef=tuple(float(v) for v in data["coef"]),
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            metrics=dict(data.get("metrics", {})),
            trained_on=dict(data.get("trained_on", {})),
            seed=int(data["seed"]),
            quiet_below=float(data.get("quiet_below", QUIET_BELOW)),
            min_contribution=float(data.get("min_contribution", MIN_CONTRIBUTION)),
        )
        if data.get("version") != model.version:
            raise ValueError(f"model version {data.get('version')!r} does not match its parameters ({model.version})")
        return model

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> RiskModel:
        return cls.from_dict(json.loads(text))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json(), encoding="utf-8")

    # -- scoring ---------------------------------------------------------------------------

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """Per-feature log-odds contributions, one row per application (unknown values give 0)."""
        z = (matrix - self._mean) / self._scale
        return np.nan_to_num(z, nan=0.0) * self._coef

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        """Scores as four-decimal floats, as score() reports them."""
        return _sigmoid4(self.intercept + self.contributions(matrix).sum(axis=1))

    def score(self, inputs: RiskInputs) -> RiskScore:
        return self.score_many([inputs])[0]

    def score_many(self, inputs: Sequence[RiskInputs]) -> list[RiskScore]:
        """score() for many applications in one vectorised pass (the nightly path)."""
        if not inputs:
            return []
        contributions = self.contributions(feature_matrix(inputs))
        p = _sigmoid4(self.intercept + contributions.sum(axis=1))
        by_group = contributions @ _GROUP_MATRIX  # one column per FACTOR_GROUPS entry
        version = self.version
        return [
            RiskScore(
                score=Decimal(f"{p[k]:.4f}"),
                factors=self._factors(case, by_group[k], float(p[k])),
                model_version=version,
                flagged=bool(p[k] >= self.threshold),
            )
            for k, case in enumerate(inputs)
        ]

    def _factors(self, inputs: RiskInputs, by_group: np.ndarray, p: float) -> tuple[Factor, ...]:
        if p < self.quiet_below:
            return (NOTHING_UNUSUAL,)
        order = np.argsort(-by_group, kind="stable")[:3]
        top = [int(g) for g in order if by_group[g] >= self.min_contribution]
        if not top:
            return (NOTHING_UNUSUAL,)
        return tuple(
            Factor(code=_GROUPS[g], words=explain(_GROUPS[g], inputs), contribution=round(float(by_group[g]), 4))
            for g in top
        )


def _sigmoid4(logits: np.ndarray) -> np.ndarray:
    """The probability, rounded to the four decimals a score carries."""
    return np.round(1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50))), 4)


_GROUPS = tuple(FACTOR_GROUPS)
_GROUP_MATRIX = np.zeros((len(FEATURE_NAMES), len(_GROUPS)))
for _g, _code in enumerate(_GROUPS):
    _GROUP_MATRIX[[FEATURE_NAMES.index(f) for f in FACTOR_GROUPS[_code]], _g] = 1.0


def feature_matrix(inputs: Sequence[RiskInputs]) -> np.ndarray:
    rows = [list(features(case).values()) for case in inputs]
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURE_NAMES))


@lru_cache(maxsize=1)
def default_model() -> RiskModel:
    """The shipped model: train() with the default arguments (see the module docstring)."""
    return RiskModel.from_json(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


def train(*, n: int = 20_000, seed: int = DEFAULT_SEED, test_share: float = 0.25) -> RiskModel:
    """Fit on synthetic labelled data; report precision and recall on the held-out part.

    Deterministic: the same arguments give the same model dict (parameters are rounded to eight
    significant digits before hashing and scoring, so the JSON round-trip scores identically).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, roc_auc_score
    from sklearn.model_selection import StratifiedKFold, train_test_split
    from threadpoolctl import threadpool_limits

    cases, labels = synthetic_dataset(n, seed)
    x = feature_matrix(cases)
    y = np.asarray(labels, dtype=np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_share, stratify=y, random_state=seed % 2**32
    )

    def fit(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        mean = np.nanmean(xs, axis=0)
        filled = np.where(np.isnan(xs), mean, xs)
        scale = filled.std(axis=0)
        scale[scale < 1e-9] = 1.0
        # Newton steps converge tightly in a few iterations: the optimum, not a path to it, is what is stored.
        clf = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-8, max_iter=100)
        # One BLAS thread: a 17-column problem gains nothing from more, they thrash on a busy machine,
        # and a fixed summation order keeps the fit reproducible.
        with threadpool_limits(limits=1):
            clf.fit((filled - mean) / scale, ys)
        return mean, scale, clf.coef_[0], float(clf.intercept_[0])

    def predict(params, xs: np.ndarray) -> np.ndarray:
        mean, scale, coef, intercept = params
        z = np.nan_to_num((xs - mean) / scale, nan=0.0)
        return 1.0 / (1.0 + np.exp(-(intercept + z @ coef)))

    # Threshold from out-of-fold predictions on the training part only.
    out_of_fold = np.zeros(len(y_train))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed % 2**32)
    for fit_rows, val_rows in folds.split(x_train, y_train):
        out_of_fold[val_rows] = predict(fit(x_train[fit_rows], y_train[fit_rows]), x_train[val_rows])
    threshold = _best_f1_threshold(np.round(out_of_fold, 4), y_train)

    mean, scale, coef, intercept = fit(x_train, y_train)
    fitted = RiskModel(
        feature_names=FEATURE_NAMES,
        mean=tuple(_r(v) for v in mean),
        scale=tuple(_r(v) for v in scale),
        coef=tuple(_r(v) for v in coef),
        intercept=_r(intercept),
        threshold=threshold,
        seed=seed,
    )
    p_test = fitted.probabilities(x_test)
    predicted = p_test >= threshold
    tp = int((predicted & (y_test == 1)).sum())
    fp = int((predicted & (y_test == 0)).sum())
    fn = int((~predicted & (y_test == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    metrics = {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
        "roc_auc": round(float(roc_auc_score(y_test, p_test)), 4),
        "average_precision": round(float(average_precision_score(y_test, p_test)), 4),
        "threshold": threshold,
        "threshold_policy": "max F1 on 5-fold out-of-fold predictions of the training part",
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "n_train": len(y_train),
        "n_test": len(y_test),
        "positives_share": round(float(y.mean()), 4),
    }
    trained_on = {"data": GENERATOR_VERSION, "n": n, "seed": seed, "test_share": test_share}
    return dataclasses.replace(fitted, metrics=metrics, trained_on=trained_on)


def _best_f1_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """The score threshold (a value among the scores) with the highest F1; ties go to the higher one."""
    order = np.argsort(-p, kind="stable")
    p_sorted, y_sorted = p[order], y[order]
    tp = np.cumsum(y_sorted)
    flagged = np.arange(1, len(p) + 1)
    last_of_value = np.r_[p_sorted[1:] != p_sorted[:-1], True]  # flag every case with an equal score
    f1 = 2 * tp / (flagged + y.sum())
    f1 = np.where(last_of_value, f1, -1.0)
    best = int(np.argmax(f1))
    return float(p_sorted[best])


def _r(value: float) -> float:
    return float(f"{float(value):.8g}")


# --------------------------------------------------------------------------------------------
# Synthetic labelled data (assumptions in the module docstring)
# --------------------------------------------------------------------------------------------

FRAUD_SHARE = 0.07
CHANNEL_WEIGHTS = {0: synthetic.CHANNEL_WEIGHTS, 1: {"crowdfunding": 72, "foundation_aid": 22, "pap": 6}}
SHARE_DIAGNOSIS_UNKNOWN = 0.05
SHARE_COST_UNKNOWN = 0.08  # known diagnosis the library lacks
SHARE_EXPENSIVE_TREATMENT = 0.12
SHARE_SEVERAL_APPLICATIONS = synthetic.SHARE_PERSONS_WITH_SEVERAL_CASES
SHARE_INCONSISTENT_HONEST = 0.01
SHARE_ID_NUMBER_GIVEN = {0: synthetic.SHARE_ID_NUMBER_SHOWN, 1: 0.55}
SHARE_ASSETS_DECLARED = {"crowdfunding": 0.92, "foundation_aid": 0.25, "pap": 0.25}
PROFILE_WEIGHTS = {
    "crowdfunding": {"hardship": 20, "sandwich": 68, "upper": 12},
    "foundation_aid": {"hardship": 34, "sandwich": 63, "upper": 3},
    "pap": {"hardship": 28, "sandwich": 64, "upper": 8},
}
ASSISTANCE_WEIGHTS = synthetic.ASSISTANCE_WEIGHTS
HOUSEHOLD_SIZE_WEIGHTS = synthetic.HOUSEHOLD_SIZE_WEIGHTS
ADULT_AGE_GROUP_WEIGHTS = {"adult": 55, "elderly": 25}  # a childhood illness makes the patient a child
RELATION_WEIGHTS = {
    "child": synthetic.RELATION_WEIGHTS_CHILD,
    "adult": synthetic.RELATION_WEIGHTS_ADULT,
    "elderly": synthetic.RELATION_WEIGHTS_ELDERLY,
}
DOCUMENT_SHARES = synthetic.DOCUMENT_SHARES  # how often each document comes with an application
SHARE_REQUIRED_PRESENT = synthetic.SHARE_REQUIRED_DOCUMENT_PRESENT
FRAUD_DOCUMENT_FACTOR = 0.85  # fraudulent applications come with documents a little less often
SCHEME_WEIGHTS = {
    "crowdfunding": {"inflated": 35, "assets": 25, "income": 10, "duplicate": 18, "fabricated": 12},
    "foundation_aid": {"inflated": 10, "assets": 10, "income": 40, "duplicate": 25, "fabricated": 15},
    "pap": {"income": 50, "duplicate": 30, "fabricated": 20},
}
SHARE_SECOND_SCHEME = 0.4
PLATFORMS = len(synthetic.CROWDFUNDING_PLATFORMS)  # crowdfunding platforms a person could use
FOUNDATION_SOURCES = 6
PAP_SOURCES = 3


def _required_documents() -> dict[str, tuple[tuple[str, ...], ...]]:
    """The demo programmes' required-document lists by channel (cases.lib.synthetic.PROGRAMS).

    A campaign names no programme, and a foundation application may name none (the empty list).
    """
    lists: dict[str, list[tuple[str, ...]]] = {"crowdfunding": [()], "foundation_aid": [()], "pap": []}
    for program in synthetic.PROGRAMS:
        lists[program.channel].append(tuple(program.required_documents))
    return {channel: tuple(found) for channel, found in lists.items()}


REQUIRED_DOCUMENTS = _required_documents()


@dataclass(frozen=True)
class _Illness:
    entry: disease_library.Entry  # the library entry production's cost check would use for this code
    childhood: bool


@lru_cache(maxsize=1)
def _illness_weights() -> dict[str, dict[_Illness, float]]:
    """Library entries by channel, weighted as cases.lib.synthetic weights its illnesses.

    Each illness of synthetic.DISEASES spreads its weight over its diagnosis codes; a code is
    costed with the entry production finds for it (disease_library.find_by_code). Illnesses the
    library lacks are left out here (`SHARE_COST_UNKNOWN` stands for them). PAP applications come
    from the programmes' indications, weighted as synthetic.PAP_PROGRAM_WEIGHTS.
    """
    entries = disease_library.default_entries()
    pap_weights = {synthetic.PAP_INDICATION[ref]: w for ref, w in synthetic.PAP_PROGRAM_WEIGHTS.items()}
    out: dict[str, dict[_Illness, float]] = {"crowdfunding": {}, "foundation_aid": {}, "pap": {}}
    for disease in synthetic.DISEASES:
        codes = [code for _, code in disease.variants if code]
        for code in codes:
            entry = disease_library.find_by_code(entries, code)
            if entry is None:
                continue
            illness = _Illness(entry, disease.childhood)
            for channel, weight in (
                ("crowdfunding", disease.weight_crowdfunding),
                ("foundation_aid", disease.weight_foundation),
                ("pap", pap_weights.get(disease.key, 0)),
            ):
                if weight:
                    out[channel][illness] = out[channel].get(illness, 0.0) + weight / len(codes)
    return out


def _hospital_level(rng: random.Random) -> str:
    """As cases.lib.synthetic places patients: a provincial or national 3A hospital, sometimes a city one."""
    if rng.random() < synthetic.SHARE_CITY_HOSPITAL:
        return rng.choice(("3A", "3B")) if rng.random() < 0.6 else "2A"
    return "3A"


@lru_cache(maxsize=4096)
def _estimate(entry: disease_library.Entry, level: str, insurance: str, payout: int | None) -> costs.CostEstimate:
    """costs.estimate exactly as production's cost check calls it."""
    return costs.estimate(entry=entry, hospital_level=level, insurance=insurance, critical_illness_payout=payout)


def synthetic_dataset(n: int, seed: int) -> tuple[list[RiskInputs], list[int]]:
    """n labelled applications (1 = fraudulent or exaggerated), deterministic in seed."""
    rng = random.Random(seed)
    generator = _Generator(rng)
    cases, labels = [], []
    for _ in range(n):
        label = int(rng.random() < FRAUD_SHARE)
        cases.append(generator.case(label))
        labels.append(label)
    return cases, labels


class _Generator:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def chance(self, share: float) -> bool:
        return self.rng.random() < share

    def weighted(self, weights: Mapping[Any, float]) -> Any:
        return self.rng.choices(tuple(weights), tuple(weights.values()))[0]

    def log_uniform(self, low: float, high: float) -> float:
        return math.exp(self.rng.uniform(math.log(low), math.log(high)))

    def case(self, label: int) -> RiskInputs:
        rng = self.rng
        channel = self.weighted(CHANNEL_WEIGHTS[label])
        schemes: set[str] = set()
        if label:
            schemes.add(self.weighted(SCHEME_WEIGHTS[channel]))
            if self.chance(SHARE_SECOND_SCHEME):
                schemes.add(self.weighted(SCHEME_WEIGHTS[channel]))

        # Illness and cost: a library entry, costed by costs.estimate as production does.
        illness = self.weighted(_illness_weights()[channel])
        age_group = "child" if illness.childhood else self.weighted(ADULT_AGE_GROUP_WEIGHTS)
        profile = self.weighted(PROFILE_WEIGHTS[channel])
        size = self.weighted(HOUSEHOLD_SIZE_WEIGHTS)
        if age_group == "child":
            size = max(size, 3)
        insurance = self.insurance(age_group, profile)
        level = _hospital_level(rng)
        payout = None
        if self.chance(0.30 if profile == "upper" else 0.07):
            payout = rng.randint(5, 50) * 10_000
        # The cost of care before any payout anchors what the family asks; highest_oop never counts a payout.
        cost = _estimate(illness.entry, level, insurance, None)
        expected, highest = float(cost.expected_oop), float(cost.highest_oop)
        diagnosis_known = not self.chance(SHARE_DIAGNOSIS_UNKNOWN)
        fabricated = "fabricated" in schemes
        if fabricated and self.chance(0.55):
            diagnosis_known = False
        cost_known = diagnosis_known and not self.chance(SHARE_COST_UNKNOWN)

        # Request.
        if channel == "crowdfunding":
            request = expected * math.exp(rng.gauss(math.log(3.5), 0.45))
            if self.chance(SHARE_EXPENSIVE_TREATMENT):
                request = highest * rng.uniform(0.9, 2.5)
            request = max(request, 10_000)
        elif channel == "foundation_aid":
            request = rng.uniform(60_000, 150_000) if self.chance(0.05) else rng.uniform(10_000, 50_000)
        else:
            request = rng.choice((108_000, 144_000, 168_000)) * rng.choice((1.0, 1.0, 1.0, 0.5, 1.3))
        if "inflated" in schemes:
            if channel == "crowdfunding":
                ratio = self.log_uniform(1.8, 10) if self.chance(0.75) else self.log_uniform(1.2, 2.5)
                request = max(request, highest * ratio)
            else:
                request = max(rng.uniform(60_000, 200_000), highest * self.log_uniform(1.2, 5))
        step = 10_000 if channel == "crowdfunding" and request >= 50_000 else 1_000
        request = max(step, round(request / step) * step)

        # Income and assistance.
        status, income = self.income(profile, size)
        if "income" in schemes:
            status = self.weighted({"dibao": 70, "dibao_edge": 15, "jiandang": 15})
            if self.chance(0.6):
                income = size * rng.randint(20_000, 60_000) // 1_000 * 1_000
            else:
                income = size * rng.randint(4_000, 12_000) // 100 * 100
        elif not label and status == "none" and self.chance(SHARE_INCONSISTENT_HONEST):
            status = self.weighted(ASSISTANCE_WEIGHTS)
        consistent = tiers.assess(dibao_status=status, annual_income=Decimal(income), household_size=size).consistent

        # Assets.
        houses, car, savings = self.assets(profile)
        if channel == "crowdfunding":
            # Families launch a campaign once treatment has eaten most of their savings.
            savings = min(savings, int(min(request, highest) * rng.uniform(0, 0.6)))
        if "income" in schemes:
            if self.chance(0.5):
                car = rng.randint(50, 300) * 1_000
            if self.chance(0.3):
                houses = rng.randint(2, 3)
        if "assets" in schemes:
            if self.chance(0.6):
                houses = rng.randint(2, 4)
            if self.chance(0.7):
                total = request * self.log_uniform(1.5, 6)
                car_share = rng.uniform(0, 0.5)
                car, savings = int(total * car_share), int(total * (1 - car_share))
            if self.chance(0.2):
                payout = int(request * rng.uniform(0.8, 2)) // 10_000 * 10_000
        declared = self.chance(SHARE_ASSETS_DECLARED[channel])
        if "assets" in schemes and channel == "crowdfunding" and self.chance(0.35):
            declared = False
        if declared:
            asset_values: tuple[int | None, Decimal | None, Decimal | None] = (houses, Decimal(car), Decimal(savings))
        elif channel == "crowdfunding" and self.chance(0.5):  # some of it declared
            asset_values = (houses, None, None) if self.chance(0.5) else (None, Decimal(car), None)
        else:
            asset_values = (None, None, None)

        # Raised so far.
        raised = None
        if channel == "crowdfunding" and self.chance(0.95):
            share = min(rng.random(), rng.random()) * 1.05
            raised = Decimal(min(int(request * share), synthetic.MAX_RAISED))

        # Raiser.
        relation = None
        if channel == "crowdfunding":
            weights = dict(RELATION_WEIGHTS[age_group])
            if label:
                weights["other"] *= 1.5
            relation = self.weighted(weights)
            if fabricated and self.chance(0.35):
                relation = "other"

        # Documents.
        required = frozenset(rng.choice(REQUIRED_DOCUMENTS[channel]))
        factor = FRAUD_DOCUMENT_FACTOR if label else 1.0
        present = {t for t, s in DOCUMENT_SHARES[channel].items() if t not in required and self.chance(s * factor)}
        present |= {t for t in sorted(required) if self.chance(SHARE_REQUIRED_PRESENT * factor)}
        if status != "none" and self.chance(0.8):
            present.add("dibao_certificate")
        if fabricated and self.chance(0.5):
            present -= MEDICAL_EVIDENCE

        # Other applications for the same illness.
        others, other_sources, campaigns = self.other_applications(channel, label, "duplicate" in schemes)

        id_given = self.chance(SHARE_ID_NUMBER_GIVEN[label])
        if fabricated and self.chance(0.6):
            id_given = False

        # What production's cost check reports: the expected out-of-pocket after the declared payout.
        reported = _estimate(illness.entry, level, insurance, payout) if cost_known else None
        return RiskInputs(
            channel=channel,
            request_amount=Decimal(request),
            expected_oop=reported.expected_oop if reported else None,
            highest_oop=reported.highest_oop if reported else None,
            annual_income=Decimal(income),
            household_size=size,
            dibao_status=status,
            income_consistent=consistent,
            houses=asset_values[0],
            car_value=asset_values[1],
            financial_assets=asset_values[2],
            raised=raised,
            raiser_relation=relation,
            documents=frozenset(present),
            required_documents=required,
            other_applications=others,
            other_channels=other_sources,
            id_number_given=id_given,
            diagnosis_known=diagnosis_known,
            insurance=insurance,
            critical_illness_payout=Decimal(payout) if payout else None,
            other_campaigns=campaigns,
        )

    def insurance(self, age_group: str, profile: str) -> str:
        if age_group == "child" or profile == "hardship":
            return self.weighted({"resident": 94, "none": 6})
        if profile == "upper":
            return self.weighted({"employee": 60, "resident": 37, "none": 3})
        return self.weighted({"employee": 20, "resident": 71, "none": 9})

    def income(self, profile: str, size: int) -> tuple[str, int]:
        rng = self.rng
        if profile == "hardship":
            status = self.weighted(ASSISTANCE_WEIGHTS)
            return status, size * rng.randint(1_500, 5_800) // 100 * 100
        if profile == "upper":
            return "none", rng.randint(105, 450) * 1_000
        ceiling = min(40_000, 100_000 // size)
        per_person = min(rng.randint(7_000, ceiling), rng.randint(7_000, ceiling))
        return "none", size * per_person // 500 * 500

    def assets(self, profile: str) -> tuple[int, int, int]:
        rng = self.rng
        if profile == "hardship":
            houses = 1 if self.chance(0.7) else 0
            car = rng.randint(5, 30) * 1_000 if self.chance(0.05) else 0
            return houses, car, rng.randint(0, 50) * 100
        if profile == "upper":
            houses = self.weighted({1: 50, 2: 35, 3: 15})
            car = rng.randint(8, 30) * 10_000 if self.chance(0.6) else 0
            return houses, car, rng.randint(30, 300) * 1_000
        houses = self.weighted({0: 15, 1: 70, 2: 15})
        car = rng.randint(30, 150) * 1_000 if self.chance(0.45) else 0
        return houses, car, rng.randint(0, 160) * 500

    def other_applications(self, channel: str, label: int, duplicate: bool) -> tuple[int, int, int]:
        """(other applications, distinct other sources, other campaigns) for the same illness."""
        if duplicate:
            count = self.weighted({1: 30, 2: 40, 3: 20, 4: 10})
            kinds = [self.weighted({"crowdfunding": 75, "foundation_aid": 20, "pap": 5}) for _ in range(count)]
        elif self.chance(SHARE_SEVERAL_APPLICATIONS):
            count = 1 if self.chance(0.75) else 2
            kinds = [self.weighted(synthetic.EXTRA_CHANNEL_WEIGHTS) for _ in range(count)]
        else:
            return 0, 0, 0
        own = (channel, 0)
        sources = set()
        for kind in kinds:
            if kind == "crowdfunding":
                # An honest second campaign is usually a renewal on the same platform.
                same_platform = channel == "crowdfunding" and not duplicate and self.chance(0.6)
                sources.add(own if same_platform else ("crowdfunding", self.rng.randrange(1, PLATFORMS)))
            elif kind == "foundation_aid":
                sources.add(("foundation_aid", self.rng.randrange(1, FOUNDATION_SOURCES)))
            else:
                sources.add(("pap", self.rng.randrange(1, PAP_SOURCES)))
        sources.discard(own)
        return count, len(sources), kinds.count("crowdfunding")
