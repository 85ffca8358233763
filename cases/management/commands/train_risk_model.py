import time

from django.core.management.base import BaseCommand

from cases.lib import risk
from cases.services.risk import risk_model_store


class Command(BaseCommand):
    help = (
        "Train the risk-score model on synthetic labelled applications (until real labels exist), store it "
        "under its version and make it the active one; prints precision and recall on held-out data. "
        "The same seed and size give the same model and version."
    )

    def add_arguments(self, parser):
        parser.add_argument("--samples", type=int, default=20000, help="labelled applications to generate")
        parser.add_argument("--seed", type=int, default=20261123)
        parser.add_argument("--test-share", type=float, default=0.25, help="share held out for the metrics")
        parser.add_argument("--no-activate", action="store_true", help="store the model without scoring with it")

    def handle(self, *args, samples, seed, test_share, no_activate, **options):
        started = time.monotonic()
        self.stderr.write(f"training on {samples} synthetic applications (seed {seed})…")
        model = risk.train(n=samples, seed=seed, test_share=test_share)
        row, created = risk_model_store(
            model=model,
            trained_on=f"synthetic n={samples} seed={seed} test_share={test_share}",
            activate=not no_activate,
        )
        m = model.metrics
        self.stdout.write(
            f"model {row.version} ({'new' if created else 'already stored'}"
            f"{', active' if row.active else ''}) in {time.monotonic() - started:.1f} s\n"
            f"held-out: n={m.get('n_test')} fraud share={m.get('positives_share')} threshold={m.get('threshold')}\n"
            f"precision {m.get('precision')}  recall {m.get('recall')}  F1 {m.get('f1')}  ROC AUC {m.get('roc_auc')}"
        )
