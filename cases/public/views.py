"""Public disclosure pages (公示): HTML for people, JSON for platforms. No login; nothing unmasked."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cases.services.disclosure import disclosed_cases, disclosure_of

PAGE_SIZE = 50


def _case(token: str):
    case = disclosed_cases().filter(disclosure_token=token).first()
    if case is None:
        raise Http404("no disclosed case at this address")
    return case


def _page(request):
    return Paginator(disclosed_cases(), PAGE_SIZE).get_page(request.GET.get("page"))


@require_GET
def disclosure_list(request):
    page = _page(request)
    rows = [disclosure_of(case) for case in page]  # the same record as each case's own page
    return render(request, "public/disclosure_list.html", {"page": page, "rows": rows})


@require_GET
def disclosure_list_json(request):
    page = _page(request)
    return JsonResponse(
        {
            "page": page.number,
            "pages": page.paginator.num_pages,
            "count": page.paginator.count,
            "cases": [disclosure_of(case) for case in page],
        },
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def disclosure_detail(request, token: str):
    case = _case(token)
    return render(request, "public/disclosure_detail.html", {"d": disclosure_of(case)})


@require_GET
def disclosure_detail_json(request, token: str):
    return JsonResponse(disclosure_of(_case(token)), json_dumps_params={"ensure_ascii": False})
