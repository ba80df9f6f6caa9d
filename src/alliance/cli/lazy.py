"""Sub-commands imported only when they run, so that `alliance --help` and a quick command do not
pay for the whole platform (SciPy, DuckDB, FastAPI, ...) before printing anything.

The top-level group knows each command's name, where it lives and its one-line help; the module is
imported when the command is run or its own help is asked for. `alliance --help` lists the commands
from this table alone. tests/e2e/test_cli_startup.py keeps the table's help equal to each command's
own and checks that every entry loads. Click has no lazy groups of its own; this is the pattern its
documentation gives ("Lazily Loading Subcommands"), on Typer's group.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click
import typer
from typer.core import TyperGroup


@dataclass(frozen=True)
class Entry:
    target: str  # "module:attribute": a Typer app, or a command function
    help: str


COMMANDS: dict[str, Entry] = {
    "alliance": Entry("alliance.cli.alliances:app", "Found and inspect alliances."),
    "member": Entry("alliance.cli.members:app", "Add, list, import and export an alliance's member companies."),
    "screen": Entry("alliance.cli.screening:screen",
                    "Rank partner candidates; every score is explained by its criteria, with how sure the order is."),
    "ahp": Entry("alliance.cli.screening:ahp",
                 "Derive criterion weights from pairwise judgements (AHP), with the consistency ratio."),
    "screening": Entry("alliance.cli.screening:runs", "Saved screening runs: list, show, recompute."),
    "prospect": Entry("alliance.cli.prospects:prospect_app", "Prospective partners and their stage."),
    "dd": Entry("alliance.cli.prospects:dd_app", "Due-diligence checklists."),
    "pilot": Entry("alliance.cli.prospects:pilot_app", "Pilots, their KPIs, the review and the go / no-go decision."),
    "agreement": Entry("alliance.cli.agreements:app",
                       "Revenue-sharing agreements: propose versions, sign them, see which is in force."),
    "milestone": Entry("alliance.cli.milestones:app", "Project milestones: record one with its evidence, confirm or "
                       "reject it; the next settlement run books its tranche, once."),
    "orders": Entry("alliance.cli.orders:app", "Order lines: import them into the fact store."),
    "dataset": Entry("alliance.cli.datasets:app",
                     "Datasets beyond sales (inventory, customer events, catalogue): import, pseudonymise."),
    "facts": Entry("alliance.cli.facts:app",
                   "The fact store's order lines to and from Parquet (the Spark engine's copy)."),
    "settle": Entry("alliance.cli.settlement:settle", "Settle a business day under the agreements in force, and close it."),
    "statement": Entry("alliance.cli.settlement:statement",
                       "A member's statement for a settled day: each line's rule, base, rate and amount."),
    "journal": Entry("alliance.cli.settlement:journal_app", "The settlement journal of closed days."),
    "simulate": Entry("alliance.cli.settlement:simulate",
                      "Sandbox (沙盘推演): replay stored lines under candidate agreements; nothing is written."),
    "metrics": Entry("alliance.cli.settlement:metrics_app",
                     "Period metrics rules weigh by (user assets, repurchase rate...)."),
    "journey": Entry("alliance.cli.journeys:app",
                     "Customer-journey metrics (repurchase, cross-member purchase, referral, user assets) from the "
                     "shared customer events: compute, record as period metrics, verify."),
    "game": Entry("alliance.cli.games:app", "Cooperative games: Shapley, Banzhaf, core and nucleolus."),
    "voting-power": Entry("alliance.cli.games:voting_power_command",
                          "Shapley-Shubik and Banzhaf power of each member under a weighted voting rule, beside its "
                          "weight."),
    "contribution": Entry("alliance.cli.games:contribution_app", "Contribution splits recomputed from recorded data."),
    "ledger": Entry("alliance.cli.ledger:app", "The alliance's tamper-evident ledger (docs/ledger.md)."),
    "user": Entry("alliance.cli.access:user_app", "Users of the web workspace."),
    "apikey": Entry("alliance.cli.access:key_app", "API keys for members' systems (shown once, stored as a hash)."),
    "backup": Entry("alliance.cli.backup:backup",
                    "Back up the database, the order-line store and (in development) the ledger passphrase."),
    "restore": Entry("alliance.cli.backup:restore",
                     "Restore a backup into an empty data directory (ALLIANCE_HOME) or empty database, then verify "
                     "every alliance's ledger."),
    "demo": Entry("alliance.cli.platform:demo",
                  "Load the demo alliances with six weeks of history up to yesterday: signed agreements, order lines, "
                  "every day settled, statements, a screening run, a pilot, shared views (safe to run again: existing "
                  "ones are left as they are)."),
    "serve": Entry("alliance.cli.platform:serve", "Serve the web UI and the API."),
    "db-upgrade": Entry("alliance.cli.platform:db_upgrade",
                        "Create or upgrade the database schema (other commands do this on their own too)."),
    "body": Entry("alliance.cli.governance:body_app",
                  "Governing bodies: committees, working groups, arbitration panels."),
    "meeting": Entry("alliance.cli.governance:meeting_app",
                     "Meetings of a body: agenda, attendance, minutes and action items."),
    "dispute": Entry("alliance.cli.disputes:app",
                     "Disputes between members: the claim, the neutral data report, the escalation ladder."),
    "proposal": Entry("alliance.cli.proposals:proposal_app",
                      "Proposals a body decides: draft, submit, discuss, vote, close, implement."),
    "vote": Entry("alliance.cli.proposals:vote_app",
                  "Vote on a proposal, or give your vote to another member (a proxy)."),
    "incident": Entry("alliance.cli.incidents:app",
                      "Incidents: priority by kind, SOP checklists, response clocks, timeline and closing review."),
    "warning": Entry("alliance.cli.warnings:app", "Warning rules: conditions on indicators, their firings and silences."),
    "notify": Entry("alliance.cli.notify:app",
                    "Notifications: your inbox and preferences, webhooks, and delivering what is due."),
    "health": Entry("alliance.cli.kpis:health_app",
                    "The alliance's health: the scorecard of 12 indicators, per member or alliance-wide."),
    "kpi": Entry("alliance.cli.kpis:kpi_app", "The KPI catalogue and the values entered for it."),
    "pledge": Entry("alliance.cli.kpis:pledge_app", "Members' pledges of resources and their deliveries."),
    "resource": Entry("alliance.cli.resources:resource_app",
                      "Resources members and outside companies offer: declare, edit, list, import; the resource "
                      "kinds."),
    "need": Entry("alliance.cli.resources:need_app",
                  "Needs (gaps) members and outside companies want filled: declare, edit, list."),
    "directory": Entry("alliance.cli.resources:directory_app",
                       "The directory of outside companies matching also considers: add, list, remove, import."),
    "psi": Entry("alliance.cli.privacy:psi_app", "Customer overlap with a partner by private set intersection: your "
                 "list never leaves this machine."),
    "match": Entry("alliance.cli.matching:match_app",
                   "Recommend partners for a holder's needs: the best partners, the best coalition, and sending a "
                   "candidate to the pipeline."),
    "heatmap": Entry("alliance.cli.matching:heatmap",
                     "The complementarity heat map of the alliance's members, clustered (similar profiles together)."),
    "term": Entry("alliance.cli.glossary:term_app",
                  "The glossary (行业词典): terms in Chinese and English; propose, edit, agree, search."),
    "article": Entry("alliance.cli.glossary:article_app",
                     "The knowledge base: Markdown articles linked to glossary terms; write, edit, search."),
    "campaign": Entry("alliance.cli.purchasing:app",
                      "Joint purchasing campaigns: open one with supplier quotes (volume tiers), commit members' "
                      "quantities, close, order, deliver, close short, cancel."),
    "referral": Entry("alliance.cli.referrals:app",
                      "Lead referral between members: the programme, submit a lead with consent, accept or reject, "
                      "extensions, link orders, commission and the leaderboard."),
    "bid": Entry("alliance.cli.bids:app",
                 "Joint bids: a consortium bid for a customer request with each member's role, scope and price "
                 "share; confirmations, documents, submission, the outcome and the project agreement."),
    "marketing": Entry("alliance.cli.marketing:app",
                       "Joint marketing campaigns: propose one with cost-share ratios, each member's consent, record "
                       "costs shared through settlement, attributed revenue and ROI per member."),
    "warehouse": Entry("alliance.cli.warehouse:warehouse_app",
                       "The shared warehouse: warehouses and price lines, bookings and the waitlist, check-in and "
                       "check-out, quotes, monthly billing, idle rate."),
    "inventory": Entry("alliance.cli.inventory:app",
                       "The inventory board: stock by SKU and region, slow-moving stock, transfer suggestions, "
                       "turnover days."),
    "ip": Entry("alliance.cli.ip:app",
                "The IP register: background IP members bring, foreground IP created together, versions."),
    "competition": Entry("alliance.cli.competition:app",
                         "Competition-law screening: markets, combined shares, HHI and ΔHHI against the threshold "
                         "sets; justifications."),
    "rating": Entry("alliance.cli.ratings:app",
                    "Partner star ratings: inputs, weights, runs, approvals, tiers and the elimination procedure."),
    "rates": Entry("alliance.cli.exchange_rates:app",
                   "Exchange rates into the settlement currency: import them (all or nothing), list them."),
    "payout": Entry("alliance.cli.payouts:app",
                    "Payouts in the payee's currency: choose a member's currency, record a payout of closed days, "
                    "list and show them."),
    "archive": Entry("alliance.cli.archive:app", "A member's data archive: export it, verify it offline."),
    "exit": Entry("alliance.cli.exits:app",
                  "Exit cases: open one from its trigger, follow its steps, enter hand-over, staff and asset items, "
                  "acknowledge the final statement, record the end, erase the departed member's data after the "
                  "window."),
    "dissolution": Entry("alliance.cli.dissolution:app",
                         "Dissolve an alliance and its sub-alliances: start the winding-up, share out the funds, see "
                         "what is left, finish it, download its archive."),
}


def load(name: str) -> click.Command:
    """The click command for `name`, importing its module now."""
    module, _, attribute = COMMANDS[name].target.partition(":")
    found = getattr(importlib.import_module(module), attribute)
    if isinstance(found, typer.Typer):
        command = typer.main.get_group(found)  # a group even with one sub-command, as add_typer made it
    else:
        single = typer.Typer()
        single.command(name)(found)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyCommands(TyperGroup):
    """Typer's group, with the sub-commands of `COMMANDS` loaded on first use."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._listing = False
        self._loaded: dict[str, click.Command] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in COMMANDS if n not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in COMMANDS:
            return found
        if self._listing:  # the group's own help: the table's line is enough
            return click.Command(cmd_name, help=COMMANDS[cmd_name].help, short_help=COMMANDS[cmd_name].help)
        if cmd_name not in self._loaded:
            self._loaded[cmd_name] = load(cmd_name)
        return self._loaded[cmd_name]

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


class Deferred:
    """A module imported on first use of one of its names: `service = Deferred("alliance.x.service")`
    at the top of a CLI module, so that the command's --help and its other sub-commands do not pay
    for the service (and SciPy, DuckDB, openpyxl... behind it) until a command calls it.

    Setting a name sets it on the module (tests patch services through it). Declare the real module
    under `if TYPE_CHECKING:` beside it, so that type checkers see the service's functions."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def _module(self) -> object:
        return importlib.import_module(object.__getattribute__(self, "_name"))

    def __getattr__(self, attribute: str) -> object:
        return getattr(self._module(), attribute)

    def __setattr__(self, attribute: str, value: object) -> None:
        setattr(self._module(), attribute, value)

    def __delattr__(self, attribute: str) -> None:
        delattr(self._module(), attribute)

    def __repr__(self) -> str:
        return f"<deferred module {object.__getattribute__(self, '_name')}>"
