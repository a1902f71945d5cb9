"""Revenue sharing in the admin: contracts (created and re-versioned through the contract services,
so every rule they keep is checked and explained), fee rates, settlement runs with their
review/approve/pay actions, and the platform's overview of statements across partners."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.money import CURRENCIES
from settlements.errors import ContractInvalid
from settlements.models import Contract, ContractVersion, FeeRate, SettlementRun, Statement, StatementLine
from settlements.services.contracts import (
    RuleSpec,
    Terms,
    contract_create,
    contract_version_create,
    terms_from,
    tiers_format,
    tiers_parse,
)
from settlements.services.runs import settlement_run_create, settlement_run_transition
from users.models import Partner, User

RULE_FORMATS = [
    ("course", gettext_lazy("Course")),
    ("ebook", gettext_lazy("Ebook")),
    ("audiobook", gettext_lazy("Audiobook")),
    ("print", gettext_lazy("Print")),
]


class TermsForm(forms.Form):
    """The terms of a version, with one tiers field per format (blank: no rule for that format)."""

    basis = forms.ChoiceField(label=gettext_lazy("Basis"), choices=ContractVersion.Basis.choices)
    tier_measure = forms.ChoiceField(
        label=gettext_lazy("Tiers count"),
        choices=[("units", gettext_lazy("Units sold")), ("revenue", gettext_lazy("Revenue (basis)"))],
    )
    advance = forms.DecimalField(label=gettext_lazy("Advance"), max_digits=14, decimal_places=2, initial=0)
    minimum_guarantee = forms.DecimalField(
        label=gettext_lazy("Minimum guarantee per contract year"), max_digits=14, decimal_places=2, initial=0
    )
    reserve_rate = forms.DecimalField(
        label=gettext_lazy("Reserve against refunds (%)"), max_digits=7, decimal_places=4, initial=0
    )
    reserve_periods = forms.IntegerField(label=gettext_lazy("Reserve released after (periods)"), initial=2)
    withholding_rate = forms.DecimalField(
        label=gettext_lazy("Withholding tax (%)"), max_digits=7, decimal_places=4, initial=0
    )
    campaign_cost_share = forms.DecimalField(
        label=gettext_lazy("Share of joint-campaign cost borne (%)"), max_digits=7, decimal_places=4, initial=100
    )
    note = forms.CharField(label=gettext_lazy("What changed"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for fmt, label in RULE_FORMATS:
            self.fields[f"tiers_{fmt}"] = forms.CharField(
                label=_("%(format)s share (%%)") % {"format": label},
                required=False,
                help_text=_("One rate (“70”) or tiers (“0:10, 5000:12.5, 10000:15”); blank for no rule."),
            )

    def terms(self) -> Terms:
        data = self.cleaned_data
        rules = []
        for fmt, _label in RULE_FORMATS:
            text = (data.get(f"tiers_{fmt}") or "").strip()
            if text:
                try:
                    rules.append(RuleSpec(format=fmt, tiers=tiers_parse(text), tier_measure=data["tier_measure"]))
                except ContractInvalid as exc:
                    raise ContractInvalid(exc.message, field=f"tiers_{fmt}") from None
        return terms_from(data, rules=rules)

    def add_domain_error(self, exc: ContractInvalid) -> None:
        field = exc.field if exc.field in self.fields else None
        if exc.field == "rules" or exc.field == "tiers":
            field = None
        self.add_error(field, exc.message)


class ContractCreateForm(TermsForm):
    partner = forms.ModelChoiceField(
        label=gettext_lazy("Partner"), queryset=Partner.objects.exclude(kind=Partner.Kind.PLATFORM)
    )
    number = forms.CharField(label=gettext_lazy("Contract number"), max_length=40)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=CURRENCIES, initial="CNY")
    starts_on = forms.DateField(label=gettext_lazy("Contract year starts on"))
    valid_to = forms.DateField(label=gettext_lazy("Valid to"), required=False)

    field_order = ["partner", "number", "title", "currency", "starts_on", "valid_to"]


class VersionCreateForm(TermsForm):
    valid_from = forms.DateField(label=gettext_lazy("New terms from"))
    valid_to = forms.DateField(label=gettext_lazy("Valid to"), required=False)

    field_order = ["valid_from", "valid_to"]


class ContractVersionInline(admin.TabularInline[ContractVersion, Contract]):
    model = ContractVersion
    extra = 0
    can_delete = False
    readonly_fields = (
        "number",
        "valid_from",
        "valid_to",
        "basis",
        "advance",
        "minimum_guarantee",
        "reserve_rate",
        "withholding_rate",
        "rules_summary",
    )
    fields = readonly_fields

    @admin.display(description=gettext_lazy("Share rules"))
    def rules_summary(self, obj: ContractVersion) -> str:
        parts = []
        for r in obj.rules.all():
            channel = f" ({r.get_channel_display()})" if r.channel else ""
            parts.append(f"{r.get_format_display()}{channel}: {tiers_format(list(r.tiers.all()))}")
        return "; ".join(parts)

    def has_add_permission(self, request: HttpRequest, obj: Contract | None = None) -> bool:
        return False


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin[Contract]):
    list_display = ["number", "partner", "title", "currency", "starts_on", "version_count"]
    list_filter = ["currency", "partner"]
    search_fields = ["number", "title", "partner__name"]
    inlines = [ContractVersionInline]
    readonly_fields = ["partner", "number", "currency", "starts_on", "created_at", "created_by", "new_version_link"]
    fields = ["partner", "number", "title", "currency", "starts_on", "created_at", "created_by", "new_version_link"]

    @admin.display(description=gettext_lazy("Versions"))
    def version_count(self, obj: Contract) -> int:
        return obj.versions.count()

    @admin.display(description=gettext_lazy("Change the terms"))
    def new_version_link(self, obj: Contract) -> str:
        if obj.pk is None:
            return ""
        url = reverse("admin:settlements_contract_new_version", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("New version from a date…"))

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:contract_id>/new-version/",
                self.admin_site.admin_view(self.new_version_view),
                name="settlements_contract_new_version",
            ),
            *super().get_urls(),
        ]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        form = ContractCreateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            user = request.user if isinstance(request.user, User) else None
            try:
                contract = contract_create(
                    partner=form.cleaned_data["partner"],
                    number=form.cleaned_data["number"],
                    title=form.cleaned_data["title"],
                    currency=form.cleaned_data["currency"],
                    starts_on=form.cleaned_data["starts_on"],
                    valid_to=form.cleaned_data["valid_to"],
                    terms=form.terms(),
                    created_by=user,
                )
            except ContractInvalid as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, _("Contract %(number)s created.") % {"number": contract.number})
                return HttpResponseRedirect(reverse("admin:settlements_contract_change", args=[contract.pk]))
        return render(
            request,
            "settlements/admin_form.html",
            {
                **self.admin_site.each_context(request),
                "title": _("New contract"),
                "form": form,
                "opts": self.model._meta,
            },
        )

    def new_version_view(self, request: HttpRequest, contract_id: int) -> HttpResponse:
        contract = get_object_or_404(Contract, pk=contract_id)
        latest = contract.versions.order_by("-valid_from").first()
        initial: dict[str, Any] = {}
        if latest is not None:
            initial = {
                f: getattr(latest, f)
                for f in (
                    "basis",
                    "advance",
                    "minimum_guarantee",
                    "reserve_rate",
                    "reserve_periods",
                    "withholding_rate",
                    "campaign_cost_share",
                )
            }
            for rule in latest.rules.filter(channel=""):
                initial[f"tiers_{rule.format}"] = tiers_format(list(rule.tiers.all()))
                initial["tier_measure"] = rule.tier_measure
        form = VersionCreateForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            user = request.user if isinstance(request.user, User) else None
            try:
                version = contract_version_create(
                    contract=contract,
                    valid_from=form.cleaned_data["valid_from"],
                    valid_to=form.cleaned_data["valid_to"],
                    terms=form.terms(),
                    created_by=user,
                )
            except ContractInvalid as exc:
                form.add_domain_error(exc)
            else:
                messages.success(
                    request,
                    _("Version %(n)s applies from %(date)s.") % {"n": version.number, "date": version.valid_from},
                )
                return HttpResponseRedirect(reverse("admin:settlements_contract_change", args=[contract.pk]))
        return render(
            request,
            "settlements/admin_form.html",
            {
                **self.admin_site.each_context(request),
                "title": _("New terms for %(contract)s") % {"contract": contract},
                "form": form,
                "opts": self.model._meta,
            },
        )


@admin.register(FeeRate)
class FeeRateAdmin(admin.ModelAdmin[FeeRate]):
    list_display = ["kind", "key", "rate", "valid_from"]
    list_filter = ["kind"]


class RunCreateForm(forms.Form):
    period_start = forms.DateField(label=gettext_lazy("Period start"))
    period_end = forms.DateField(label=gettext_lazy("Period end (inclusive)"))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=SettlementRun.Kind.choices)
    idempotency_key = forms.CharField(
        label=gettext_lazy("Idempotency key"), required=False, help_text=gettext_lazy("Needed for an adjustment run.")
    )


def _transition_action(to_state: str, label: Any) -> Any:
    def action(modeladmin: SettlementRunAdmin, request: HttpRequest, queryset: QuerySet[SettlementRun]) -> None:
        user = request.user if isinstance(request.user, User) else None
        for run in queryset.order_by("period_start", "pk"):
            try:
                settlement_run_transition(run=run, to_state=to_state, actor=user, actor_label="admin")
            except DomainError as exc:
                modeladmin.message_user(request, f"{run}: {exc.message}", messages.ERROR)
            else:
                modeladmin.message_user(
                    request, _("%(run)s is now %(state)s.") % {"run": run, "state": SettlementRun.State(to_state).label}
                )

    action.__name__ = f"mark_{to_state}"
    return admin.action(description=label)(action)


@admin.register(SettlementRun)
class SettlementRunAdmin(admin.ModelAdmin[SettlementRun]):
    list_display = ["__str__", "kind", "state", "reconciles_badge", "received", "payable_total", "computed_at"]
    list_filter = ["state", "kind"]
    readonly_fields = [
        "period_start",
        "period_end",
        "kind",
        "state",
        "idempotency_key",
        "created_by",
        "created_at",
        "computed_at",
        "report_table",
        "events_list",
    ]
    fields = tuple(readonly_fields)
    actions = [
        _transition_action("reviewed", gettext_lazy("Mark reviewed")),
        _transition_action("approved", gettext_lazy("Approve (closes the period)")),
        _transition_action("paid", gettext_lazy("Mark paid (records payouts)")),
        _transition_action("discarded", gettext_lazy("Discard draft")),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return True

    def has_delete_permission(self, request: HttpRequest, obj: SettlementRun | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SettlementRun | None = None) -> bool:
        return request.method != "POST" or obj is None

    @admin.display(description=gettext_lazy("Reconciles"), boolean=True)
    def reconciles_badge(self, obj: SettlementRun) -> bool:
        return obj.reconciles

    @admin.display(description=gettext_lazy("Received"))
    def received(self, obj: SettlementRun) -> str:
        return ", ".join(f"{v['received']} {c}" for c, v in obj.report.get("currencies", {}).items())

    @admin.display(description=gettext_lazy("Payable"))
    def payable_total(self, obj: SettlementRun) -> str:
        return ", ".join(f"{v['statements']['payable']} {c}" for c, v in obj.report.get("currencies", {}).items())

    @admin.display(description=gettext_lazy("Reconciliation"))
    def report_table(self, obj: SettlementRun) -> str:
        rows = []
        for currency, v in obj.report.get("currencies", {}).items():
            shares = v["shares"]
            rows.append(
                format_html(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    currency,
                    v["received"],
                    v["settled_items"],
                    shares["partners"],
                    shares["promoters"],
                    shares["fees"],
                    shares["platform"],
                    v["uncovered"],
                )
            )
        checks = ", ".join(f"{k}: {'✔' if ok else '✘'}" for k, ok in obj.report.get("checks", {}).items())
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("Currency"),
            _("Received"),
            _("Settled"),
            _("Partners"),
            _("Promoters"),
            _("Fees"),
            _("Platform"),
            _("No contract"),
        )
        return format_html("<table>{}{}</table><p>{}</p>", header, format_html("".join(str(r) for r in rows)), checks)

    @admin.display(description=gettext_lazy("History"))
    def events_list(self, obj: SettlementRun) -> str:
        return format_html(
            "<ul>{}</ul>",
            format_html(
                "".join(
                    str(
                        format_html(
                            "<li>{} {} → {} {}</li>",
                            e.at.strftime("%Y-%m-%d %H:%M"),
                            e.from_state or "∅",
                            e.to_state,
                            e.actor or e.actor_label,
                        )
                    )
                    for e in obj.events.all()
                )
            ),
        )

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        form = RunCreateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            user = request.user if isinstance(request.user, User) else None
            try:
                run = settlement_run_create(
                    period_start=form.cleaned_data["period_start"],
                    period_end=form.cleaned_data["period_end"],
                    kind=form.cleaned_data["kind"],
                    idempotency_key=form.cleaned_data["idempotency_key"] or None,
                    created_by=user,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Run %(run)s computed as a draft.") % {"run": run})
                return HttpResponseRedirect(reverse("admin:settlements_settlementrun_change", args=[run.pk]))
        return render(
            request,
            "settlements/admin_form.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Settle a period"),
                "form": form,
                "opts": self.model._meta,
            },
        )


class StatementLineInline(admin.TabularInline[StatementLine, Statement]):
    model = StatementLine
    fk_name = "statement"
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "order_line", "product", "format", "quantity", "basis", "rate", "amount", "description")
    fields = readonly_fields
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Statement | None = None) -> bool:
        return False


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin[Statement]):
    """The platform's overview across partners: every statement, filterable by period, partner and run state."""

    list_display = [
        "period_start",
        "party",
        "contract",
        "currency",
        "earnings",
        "campaign_cost",
        "reserve_held",
        "advance_recouped",
        "withholding",
        "payable",
        "carried_forward",
        "run_state",
    ]
    list_filter = ["currency", "run__state", "period_start", "partner"]
    search_fields = ["partner__name", "contract__number", "promoter__email"]
    date_hierarchy = "period_start"
    inlines = [StatementLineInline]
    list_select_related = ["partner", "contract", "promoter", "run"]

    def get_readonly_fields(self, request: HttpRequest, obj: Statement | None = None) -> list[str]:
        return [f.name for f in Statement._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Statement | None = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("Party"))
    def party(self, obj: Statement) -> str:
        return obj.party_name

    @admin.display(description=gettext_lazy("Run"))
    def run_state(self, obj: Statement) -> str:
        return obj.run.get_state_display()
