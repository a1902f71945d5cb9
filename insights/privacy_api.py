"""The privacy API: audience insights, row-level shares, deletion notices and ad audiences for
partners (``/api/v1/partners/<slug>/...``), and a person's own data (``/api/v1/me/...``).

Every partner object is reached through ``partner_for_request``: another partner's
audience, share or notice does not exist for the caller (404). Row-level shares and
audience exports are for the partner's owners and managers (or an API key with the
scope); every call that releases data is audited by the service it calls.
"""

from __future__ import annotations

from django.contrib.auth import logout
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from insights import ad_audiences, audiences, sharing, user_rights
from insights.audit import Actor, recipients_for_user
from insights.privacy_serializers import (
    AcknowledgedSerializer,
    AcknowledgeSerializer,
    AdAudienceCreateSerializer,
    AdAudienceSerializer,
    AudienceQuestionSerializer,
    BudgetSerializer,
    DeletionNoticeSerializer,
    EraseRequestSerializer,
    EraseResultSerializer,
    InsightAnswerSerializer,
    RecipientSerializer,
    ShareJsonSerializer,
    ShareRequestSerializer,
)
from users.api import partner_for_request
from users.api_auth import PeopleOnly, request_partner_key
from users.models import Membership, Partner, User
from users.selectors import membership_role

MANAGING_ROLES = (Membership.Role.OWNER, Membership.Role.MANAGER)


def request_actor(request: Request) -> Actor:
    key = request_partner_key(request)
    if key is not None:
        return Actor(api_key_prefix=key.prefix)
    user = request.user
    return Actor(user=user if isinstance(user, User) else None)


def partner_for_data_release(request: Request, slug: str) -> Partner:
    """The partner, when the caller may take row-level data for it: its key, its owners and managers, staff."""
    partner = partner_for_request(request, slug)
    if request_partner_key(request) is None:
        user = request.user
        assert isinstance(user, User)
        if not user.is_staff and membership_role(user=user, partner=partner) not in MANAGING_ROLES:
            raise PermissionDenied(_("Only the partner's owners and managers can take row-level data."))
    return partner


class AudienceInsightView(APIView):
    required_scopes = ["insights:read"]

    @extend_schema(
        operation_id="partner_audience_insight",
        summary="Ask an aggregate audience insight",
        description=(
            "Breakdowns of the audience of your products, one product or one campaign: age band, gender, region, "
            "occupation, co-interests and the view → add to cart → purchase funnel. Groups with fewer than k people "
            "are merged into `other`; counts carry Laplace noise of the stated scale. Each new question costs "
            "`epsilon` from the month's privacy budget; the same question again this month returns the same answer "
            "for free. When the budget is spent the answer is 403 `privacy_budget_exhausted`."
        ),
        request=AudienceQuestionSerializer,
        responses={200: InsightAnswerSerializer},
        tags=["insights"],
    )
    def post(self, request: Request, slug: str) -> Response:
        partner = partner_for_request(request, slug)
        data = AudienceQuestionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        question = audiences.audience_question_build(**data.validated_data)
        answer = audiences.audience_insight_query(partner=partner, question=question, actor=request_actor(request))
        return Response(answer.body)


class AudienceBudgetView(APIView):
    required_scopes = ["insights:read"]

    @extend_schema(operation_id="partner_privacy_budget", responses={200: BudgetSerializer}, tags=["insights"])
    def get(self, request: Request, slug: str) -> Response:
        budget = audiences.budget_get(partner=partner_for_request(request, slug))
        return Response(
            {
                "period_start": budget.period_start,
                "epsilon_limit": str(budget.epsilon_limit),
                "epsilon_spent": str(budget.epsilon_spent),
                "epsilon_left": str(budget.epsilon_left),
            }
        )


class ShareView(APIView):
    required_scopes = ["insights:share"]

    @extend_schema(
        operation_id="partner_share_create",
        summary="Take a row-level share of consenting users",
        description=(
            "One row per user who consented, now, to share the asked data categories with you for `purpose`; each "
            "row holds only the categories that user agreed to. Users are named by a pseudonymous id that only you "
            "receive. `format`: `csv`, `parquet` (a file) or `json`. Read your deletion notices first: users who "
            "withdrew are not in the share and must be deleted from your copies."
        ),
        request=ShareRequestSerializer,
        # One 200 per format, each with its media type (found by fuzzing: the files were undocumented).
        responses={
            (200, "application/json"): OpenApiResponse(response=ShareJsonSerializer, description="JSON rows."),
            (200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR, description="The CSV file."),
            (200, "application/vnd.apache.parquet"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="The Parquet file."
            ),
        },
        tags=["insights"],
    )
    def post(self, request: Request, slug: str) -> Response | HttpResponse:
        partner = partner_for_data_release(request, slug)
        data = ShareRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fmt = data.validated_data["format"]
        share = sharing.share_build(
            partner=partner,
            purpose=data.validated_data["purpose"],
            categories=data.validated_data["data_categories"],
            actor=request_actor(request),
            fmt=fmt,
        )
        if fmt == "json":
            return Response(
                {
                    "columns": share.columns,
                    "rows": sharing.share_json_rows(share),
                    "row_count": share.row_count,
                    "audit_id": share.audit.pk,
                }
            )
        return share_file_response(share=share, fmt=fmt, partner=partner)


def share_file_response(*, share: sharing.Share, fmt: str, partner: Partner) -> HttpResponse:
    if fmt == "parquet":
        body, content_type = sharing.share_parquet(share), "application/vnd.apache.parquet"
    else:
        body, content_type = sharing.share_csv(share), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    name = f"zhiqiao-share-{partner.slug}-{share.audit.at:%Y%m%d-%H%M%S}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Row-Count"] = str(share.row_count)
    return response


class DeletionNoticeListView(APIView):
    required_scopes = ["insights:share"]

    @extend_schema(
        operation_id="partner_deletion_notices",
        summary="Users you must delete",
        description=(
            "Pending notices: each names a pseudonymous id you received and must delete. Acknowledge when done."
        ),
        responses={200: DeletionNoticeSerializer(many=True)},
        tags=["insights"],
    )
    def get(self, request: Request, slug: str) -> Response:
        partner = partner_for_data_release(request, slug)
        notices = sharing.deletion_notice_list(partner=partner)[:5000]
        return Response(DeletionNoticeSerializer(notices, many=True).data)


class DeletionNoticeAcknowledgeView(APIView):
    required_scopes = ["insights:share"]

    @extend_schema(
        operation_id="partner_deletion_notices_acknowledge",
        request=AcknowledgeSerializer,
        responses={200: AcknowledgedSerializer},
        tags=["insights"],
    )
    def post(self, request: Request, slug: str) -> Response:
        partner = partner_for_data_release(request, slug)
        data = AcknowledgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = sharing.deletion_notices_acknowledge(partner=partner, ids=data.validated_data["ids"])
        return Response({"acknowledged": done})


class AdAudienceListView(APIView):
    required_scopes = ["audiences:export"]

    @extend_schema(
        operation_id="partner_ad_audiences", responses={200: AdAudienceSerializer(many=True)}, tags=["audiences"]
    )
    def get(self, request: Request, slug: str) -> Response:
        partner = partner_for_data_release(request, slug)
        return Response(AdAudienceSerializer(ad_audiences.ad_audience_list(partner=partner), many=True).data)

    @extend_schema(
        operation_id="partner_ad_audience_save",
        summary="Save an advertising audience",
        description=(
            "Criteria combine with AND between kinds and OR within one kind. Products must be your own. Saving with "
            "an existing name replaces its criteria."
        ),
        request=AdAudienceCreateSerializer,
        responses={201: AdAudienceSerializer},
        tags=["audiences"],
    )
    def post(self, request: Request, slug: str) -> Response:
        partner = partner_for_data_release(request, slug)
        data = AdAudienceCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        criteria = ad_audiences.criteria_build(partner=partner, data=dict(data.validated_data["criteria"]))
        user = request.user if isinstance(request.user, User) else None
        audience = ad_audiences.ad_audience_save(
            partner=partner, name=data.validated_data["name"], criteria=criteria, user=user
        )
        return Response(AdAudienceSerializer(audience).data, status=status.HTTP_201_CREATED)


class AdAudienceExportView(APIView):
    required_scopes = ["audiences:export"]

    @extend_schema(
        operation_id="partner_ad_audience_export",
        summary="Export an advertising audience as hashed emails",
        description=(
            "A CSV with one column, `email_sha256`: SHA-256 of each member's trimmed, lower-cased email. Only users "
            "who agreed to be in your advertising audiences (and to the data the criteria read) are members. An "
            "audience below your minimum size is refused with 422 `audience_too_small`."
        ),
        request=None,
        responses={(200, "text/csv"): OpenApiTypes.STR},
        tags=["audiences"],
    )
    def post(self, request: Request, slug: str, audience_id: int) -> HttpResponse:
        partner = partner_for_data_release(request, slug)
        audience = ad_audiences.ad_audience_get(partner=partner, audience_id=audience_id)
        export = ad_audiences.ad_audience_export(
            partner=partner,
            criteria=ad_audiences.criteria_from_stored(audience),
            actor=request_actor(request),
            audience=audience,
        )
        response = HttpResponse(export.as_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audience-{audience.pk}-{export.audit.at:%Y%m%d}.csv"'
        response["X-Row-Count"] = str(len(export.hashes))
        return response


class MyDataView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        operation_id="me_data_export",
        summary="Download all my data",
        responses={200: OpenApiTypes.OBJECT},
        tags=["me"],
    )
    def get(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)
        return Response(user_rights.user_data_export(user=user))


class MyDataRecipientsView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(operation_id="me_data_recipients", responses={200: RecipientSerializer(many=True)}, tags=["me"])
    def get(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)
        return Response(RecipientSerializer(recipients_for_user(user=user), many=True).data)


class MyAccountDeleteView(APIView):
    permission_classes = [PeopleOnly]

    @extend_schema(
        operation_id="me_account_delete",
        summary="Delete my account",
        description=(
            "Erases your personal data and ends every session. Orders stay, under a pseudonymous reference, "
            "because the law requires keeping them and partners are paid from them."
        ),
        request=EraseRequestSerializer,
        responses={200: EraseResultSerializer},
        tags=["me"],
    )
    def post(self, request: Request) -> Response:
        data = EraseRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)
        reference = user_rights.account_erase(user=user, password=data.validated_data["password"])
        logout(request._request)
        return Response({"reference": reference})
