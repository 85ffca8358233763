from django.db import transaction
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.serializers import CaseStatusOut, CrowdfundingCaseIn, FoundationAidCaseIn, PapCaseIn
from cases.choices import Channel
from cases.lib import exchange
from cases.models import AccessLog, Case
from cases.services.intake import case_submit
from cases.tasks import verify_case


class IsPartnerOrStaff(permissions.BasePermission):
    message = "only partner platforms and staff submit or read cases"

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_staff or hasattr(user, "partner")))


def cases_visible_to(user):
    cases = Case.objects.prefetch_related("flags", "proposals__program", "awards__program").select_related(
        "duplicate_of"
    )
    return cases if user.is_staff else cases.filter(submitted_by=user)


class CaseSubmitView(APIView):
    """Submit a case on one channel. The server validates it, stores it and verifies it after commit."""

    permission_classes = [IsPartnerOrStaff]
    channel: str = ""

    def post(self, request):
        if not isinstance(request.data, dict):
            return Response({"non_field_errors": ["expected a JSON object"]}, status=status.HTTP_400_BAD_REQUEST)
        payload = {**request.data, "channel": self.channel}
        data = exchange.parse_case(payload, today=timezone.localdate(), tz=timezone.get_current_timezone())
        existing = Case.objects.filter(ref=data.ref).only("submitted_by_id").first()
        if existing is not None and not request.user.is_staff and existing.submitted_by_id != request.user.pk:
            return Response({"ref": ["belongs to another partner"]}, status=status.HTTP_400_BAD_REQUEST)
        with transaction.atomic():
            case, outcome = case_submit(data=data, user=request.user, actor_label=f"api:{request.user.get_username()}")
            if outcome != "unchanged":
                transaction.on_commit(lambda: verify_case.delay(case.pk))
        case = cases_visible_to(request.user).get(pk=case.pk)
        code = status.HTTP_201_CREATED if outcome == "created" else status.HTTP_200_OK
        return Response(CaseStatusOut(case).data, status=code)


def _submit_view(channel: str, serializer):
    def post(self, request):
        return CaseSubmitView.post(self, request)

    post = extend_schema(
        request=serializer,
        responses={201: CaseStatusOut, 200: CaseStatusOut, 400: OpenApiResponse(description="field: [reasons]")},
        summary=f"Submit a {channel} case",
        operation_id=f"{channel}_case_submit",
    )(post)
    name = f"{channel.title().replace('_', '')}CaseSubmitView"
    return type(name, (CaseSubmitView,), {"channel": channel, "post": post})


CrowdfundingCaseSubmitView = _submit_view(Channel.CROWDFUNDING, CrowdfundingCaseIn)
FoundationAidCaseSubmitView = _submit_view(Channel.FOUNDATION_AID, FoundationAidCaseIn)
PapCaseSubmitView = _submit_view(Channel.PAP, PapCaseIn)


class CaseDetailView(APIView):
    """A case's status, flags, need, proposals and awards. Partners see only their own cases."""

    permission_classes = [IsPartnerOrStaff]

    @extend_schema(responses=CaseStatusOut, operation_id="case_status")
    def get(self, request, ref: str):
        case = cases_visible_to(request.user).filter(ref=ref).first()
        if case is None:
            raise Http404
        AccessLog.objects.create(case=case, user=request.user, where="api")
        return Response(CaseStatusOut(case).data)
