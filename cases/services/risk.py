"""Which risk model scores cases: the active trained one, or the model shipped with the code."""

from __future__ import annotations

from django.db import transaction

from cases.lib import risk
from cases.models import RiskModel

_LOADED: dict[str, risk.RiskModel] = {}


def risk_model_current() -> risk.RiskModel:
    """The active model from `train_risk_model`; the shipped default until one is trained."""
    row = RiskModel.objects.filter(active=True).only("version").first()
    if row is None:
        return risk.default_model()
    if row.version not in _LOADED:
        _LOADED.clear()
        _LOADED[row.version] = risk.RiskModel.from_dict(RiskModel.objects.get(pk=row.pk).params)
    return _LOADED[row.version]


@transaction.atomic
def risk_model_store(*, model: risk.RiskModel, trained_on: str, activate: bool = True) -> tuple[RiskModel, bool]:
    """Keep a trained model under its version (training the same data twice gives the same version);
    with `activate` it replaces the active one, and the next nightly run scores every case again."""
    row, created = RiskModel.objects.get_or_create(
        version=model.version, defaults={"params": model.to_dict(), "metrics": model.metrics, "trained_on": trained_on}
    )
    if activate and not row.active:
        RiskModel.objects.filter(active=True).update(active=False)
        row.active = True
        row.save(update_fields=["active"])
    return row, created
