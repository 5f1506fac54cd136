from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LendingConfig(AppConfig):
    name = "opstap.lending"
    label = "lending"
    verbose_name = _("Loans")

    def ready(self) -> None:
        from opstap.core.dashboard import ClientSection, Panel, register, register_client_section
        from opstap.core.models import register_action_labels, register_change_fields
        from opstap.core.roles import Capability

        from .choices import Vote

        # The notes the loan events carry beside the models' own fields.
        register_change_fields(
            "lending.loan", {"amount": (_("amount"), None), "date": (_("date"), None)}
        )
        register_change_fields("lending.loanapplication", {"vote": (_("vote"), Vote)})
        # Readable names for the audit events written by lending/services.py.
        register_action_labels(
            {
                "loan_product.create": _("Loan product created"),
                "loan_product.update": _("Loan product changed"),
                "loan_application.create": _("Loan application recorded"),
                "loan_application.update": _("Loan application changed"),
                "loan_application.submit": _("Loan application sent to the credit committee"),
                "loan_application.withdraw": _("Loan application withdrawn"),
                "loan_application.vote": _("Credit committee decision"),
                "loan.create": _("Loan granted"),
                "loan.disburse": _("Loan disbursed"),
                "loan.repayment": _("Repayment posted"),
                "loan.reverse": _("Loan transaction reversed"),
                "loan.waive": _("Interest or fees waived"),
                "loan.write_off": _("Loan written off"),
                "loan.convert_to_gift": _("Loan converted into a gift"),
                "loan.close": _("Loan closed"),
                "loan.restructure": _("Loan schedule changed"),
            }
        )

        def sees_portfolio(membership) -> bool:
            return membership.can(Capability.VIEW_LOANS) or membership.can(
                Capability.VIEW_AGGREGATES
            )

        # Links only, no query: the dashboard's query count is pinned by core's tests.
        register(
            Panel(
                key="lending",
                template="lending/partials/dashboard_panel.html",
                applies=sees_portfolio,
                context=lambda request, membership: {},
                order=55,
            )
        )
        # On the client file: links to the client's loans and to a new application, no query.
        register_client_section(
            ClientSection(
                key="lending",
                template="lending/partials/client_section.html",
                applies=lambda membership: membership.can(Capability.VIEW_LOANS),
                context=lambda request, membership, client: {"client": client},
                order=55,
            )
        )
