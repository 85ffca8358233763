"""API shapes. Input validation itself is the exchange parser's (one rule set for API and import);
these serializers document the request for the OpenAPI schema and shape the responses."""

from rest_framework import serializers

from cases.choices import CaseStatus, Channel, DibaoStatus, DocumentType, Insurance, Relation, Sex, Tier
from cases.models import Case


def _money(**kwargs):
    return serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, **kwargs)


class PatientIn(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    birth_date = serializers.DateField()
    sex = serializers.ChoiceField(Sex.choices)
    province = serializers.CharField(max_length=2, help_text="GB/T 2260 two-digit code, e.g. 41 for Henan")
    id_number = serializers.CharField(required=False, help_text="18-character resident identity number")
    phone = serializers.CharField(required=False)
    city = serializers.CharField(required=False)


class RaiserIn(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    relation = serializers.ChoiceField(Relation.choices)
    id_number = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)


class AssetsIn(serializers.Serializer):
    houses = serializers.IntegerField(min_value=0, required=False)
    car_value = _money(required=False)
    financial_assets = _money(required=False)


class HouseholdIn(serializers.Serializer):
    size = serializers.IntegerField(min_value=1)
    annual_income = _money()
    dibao_status = serializers.ChoiceField(DibaoStatus.choices)
    assets = AssetsIn(required=False)


class InsuranceIn(serializers.Serializer):
    basic = serializers.ChoiceField(Insurance.choices)
    critical_illness_payout = _money(required=False)


class DiagnosisIn(serializers.Serializer):
    text = serializers.CharField(max_length=500)
    icd10 = serializers.CharField(required=False, help_text="WHO ICD-10 code, e.g. C92.0")
    hospital = serializers.CharField(required=False)
    hospital_level = serializers.CharField(required=False, help_text="e.g. 3A")
    diagnosed_on = serializers.DateField(required=False)


class RequestIn(serializers.Serializer):
    amount = _money()
    purpose = serializers.CharField(required=False)


class DocumentIn(serializers.Serializer):
    type = serializers.ChoiceField(DocumentType.choices)


class ConsentIn(serializers.Serializer):
    data_sharing = serializers.BooleanField(required=False)
    public_disclosure = serializers.BooleanField(required=False)


class PapIn(serializers.Serializer):
    drug = serializers.CharField(required=False)
    cycles_paid = serializers.IntegerField(min_value=0, required=False)


class CaseIn(serializers.Serializer):
    ref = serializers.CharField(max_length=64, help_text="your stable identifier; resubmitting it updates the case")
    source = serializers.CharField(max_length=128)
    submitted_at = serializers.DateTimeField()
    patient = PatientIn()
    household = HouseholdIn()
    insurance = InsuranceIn()
    diagnosis = DiagnosisIn()
    request = RequestIn()
    documents = DocumentIn(many=True, required=False)
    consent = ConsentIn(required=False)


class CrowdfundingCaseIn(CaseIn):
    raiser = RaiserIn()
    raised = _money(required=False)


class FoundationAidCaseIn(CaseIn):
    target_program = serializers.CharField(required=False, help_text="ref of the program applied to")


class PapCaseIn(FoundationAidCaseIn):
    pap = PapIn(required=False)


class CaseStatusOut(serializers.ModelSerializer):
    channel = serializers.ChoiceField(Channel.choices)
    status = serializers.ChoiceField(CaseStatus.choices)
    tier = serializers.ChoiceField(Tier.choices, allow_blank=True)
    flags = serializers.SerializerMethodField()
    duplicate_of = serializers.SlugRelatedField(slug_field="ref", read_only=True)
    proposals = serializers.SerializerMethodField()
    awards = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = ("ref", "channel", "status", "tier", "icd10", "flags", "expected_cost", "expected_oop", "need",
                  "duplicate_of", "proposals", "awards", "submitted_at", "updated_at")  # fmt: skip
        read_only_fields = fields

    def get_flags(self, obj) -> list[str]:
        return sorted(f.code for f in obj.flags.all() if f.overridden_at is None)

    def get_proposals(self, obj) -> list[dict]:
        return [
            {"program": p.program.ref, "amount": str(p.amount), "status": p.status}
            for p in obj.proposals.all()
            if p.status in ("open", "accepted")
        ]

    def get_awards(self, obj) -> list[dict]:
        return [{"program": a.program.ref, "amount": str(a.amount), "status": a.status} for a in obj.awards.all()]
