from django import forms
from django.utils.translation import gettext_lazy as _


class AcceptForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount (leave empty for the proposed amount)"), max_digits=14, decimal_places=2, min_value=0.01,
        required=False,
    )  # fmt: skip


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
