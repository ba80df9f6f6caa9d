"""`alliance ip ...`: the IP register. Register a member's background IP (with `--as` a member admin's
account: it is that member's act), register foreground IP with exact shares, change an asset (a new
version), list and show. Without `--as` the operator acts as platform admin, which registers and
changes foreground IP but never acts for a member."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from alliance.access.roles import Principal, Role
from alliance.cli.lazy import Deferred
from alliance.cli.output import console, current_actor, fails_cleanly, open_store, parse_day
from alliance.core.clock import SystemClock
from alliance.core.errors import InvalidInput
from alliance.core.messages import Message

if TYPE_CHECKING:
    from alliance.ip import service as ip
    from alliance.ip.model import Asset, Licence
else:
    ip = Deferred("alliance.ip.service")

app = typer.Typer(help="The IP register: background IP members bring, foreground IP created together, versions.",
                  no_args_is_help=True)
AllianceOpt = Annotated[str, typer.Option("--alliance", "-a", help="The alliance's code.")]
AsOpt = Annotated[str | None, typer.Option(
    "--as", help="Act as this user account (its role in --alliance). Default: the operator, as platform admin.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
KindOpt = Annotated[str, typer.Option(help="patent, software, trademark, know_how or design.")]
TitleOpt = Annotated[str, typer.Option(help="The asset's title.")]
NumberOpt = Annotated[str | None, typer.Option(help="Registration or application number (optional for know-how).")]
NoteOpt = Annotated[str, typer.Option(help="A note (why it changes).")]
ContributorOpt = Annotated[list[str] | None, typer.Option(
    "--contributor", help="MEMBER=SHARE, the share exact: A=1/3, B=0.25 (repeat; the shares must sum to 1).")]
ProjectOpt = Annotated[str | None, typer.Option(help="The project agreement's code it came from.")]


def _principal(store: object, as_user: str | None, alliance: str, clock: SystemClock) -> Principal:
    from alliance.access.accounts import user_principal

    if as_user is None:
        return Principal(current_actor(), Role.PLATFORM_ADMIN, kind="operator")
    return user_principal(store, as_user, alliance, clock)  # type: ignore[arg-type]


def _shares(given: list[str] | None) -> list[tuple[str, str]] | None:
    if given is None:
        return None
    out = []
    for item in given:
        member, sep, share = item.partition("=")
        if not sep:
            exc = InvalidInput(Message("--contributor {item!r}: write MEMBER=SHARE, e.g. A=1/3", item=item))
            raise exc
        out.append((member.strip(), share.strip()))
    return out


def _licence(text: str | None, exclusive: bool | None, territory: str | None, starts: str | None, until: str | None,
             base: Licence | None) -> Licence | None:
    """A licence from the options given, on top of `base` (the version in force); None when none is given."""
    from alliance.ip.model import Licence

    if text is None and exclusive is None and territory is None and starts is None and until is None:
        return None
    found = base or Licence("")
    changes: dict[str, object] = {}
    if text is not None:
        changes["text"] = text
    if exclusive is not None:
        changes["exclusive"] = exclusive
    if territory is not None:
        changes["territory"] = territory
    if starts is not None:
        changes["starts_on"] = parse_day(starts, "--licence-from") if starts else None
    if until is not None:
        changes["until"] = parse_day(until, "--until") if until else None
    return replace(found, **changes)  # type: ignore[arg-type]


def _print(asset: Asset, as_json: bool) -> None:
    if as_json:
        print(json.dumps(ip.as_json(asset), ensure_ascii=False, indent=2))
        return
    data = ip.as_json(asset)
    now = data["current"]
    console.print(f"IP asset {asset.asset} ({asset.origin.value} {asset.kind.value}): {now['title']}"
                  f"{' · ' + now['number'] if now['number'] else ''}", highlight=False, soft_wrap=True, markup=False)
    for v in data["versions"]:
        holders = v["owner"] or ", ".join(f"{c['member']} {c['share']}" for c in v["contributors"])
        licence = v["licence"]
        terms = "" if licence is None else (f"; licence {'exclusive' if licence['exclusive'] else 'non-exclusive'}"
                                            f" {licence['territory'] or ''} until {licence['until'] or 'no end'}")
        console.print(f"  v{v['version']} {v['recorded_at']} {v['recorded_by']}: {holders}{terms}"
                      f"{' — ' + v['note'] if v['note'] else ''}", highlight=False, soft_wrap=True, markup=False)


@app.command("register-background")
@fails_cleanly
def register_background(
    alliance: AllianceOpt,
    owner: Annotated[str, typer.Option(help="The member that owns it (the --as account's member).")],
    kind: KindOpt,
    title: TitleOpt,
    licence: Annotated[str, typer.Option(help="The licence granted to the alliance, in words.")],
    number: NumberOpt = None,
    exclusive: Annotated[bool, typer.Option("--exclusive/--non-exclusive", help="Whether the licence is exclusive.")]
    = False,
    territory: Annotated[str, typer.Option(help="Where the licence applies.")] = "",
    licence_from: Annotated[str | None, typer.Option("--licence-from", help="YYYY-MM-DD the licence starts.")] = None,
    until: Annotated[str | None, typer.Option(help="YYYY-MM-DD the licence ends (none: no end date).")] = None,
    note: NoteOpt = "",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a member's background IP and the licence it grants the alliance (an act for the member)."""
    store, clock = open_store(), SystemClock()
    terms = _licence(licence, exclusive, territory, licence_from or "", until or "", None)
    assert terms is not None
    _print(ip.register_background(store, alliance, _principal(store, as_user, alliance, clock), clock, owner=owner,
                                  kind=kind, title=title, number=number, licence=terms, note=note), as_json)


@app.command("register-foreground")
@fails_cleanly
def register_foreground(
    alliance: AllianceOpt,
    kind: KindOpt,
    title: TitleOpt,
    contributor: ContributorOpt = None,
    number: NumberOpt = None,
    project: ProjectOpt = None,
    note: NoteOpt = "",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register foreground IP created in an alliance project, with its contributors' exact shares."""
    store, clock = open_store(), SystemClock()
    _print(ip.register_foreground(store, alliance, _principal(store, as_user, alliance, clock), clock, kind=kind,
                                  title=title, number=number, contributors=_shares(contributor) or [],
                                  project=project, note=note), as_json)


@app.command("change")
@fails_cleanly
def change(
    asset: Annotated[int, typer.Argument(help="The asset's number in the register.")],
    alliance: AllianceOpt,
    title: Annotated[str | None, typer.Option(help="A new title.")] = None,
    number: NumberOpt = None,
    owner: Annotated[str | None, typer.Option(help="Background IP: hand it to this member.")] = None,
    licence: Annotated[str | None, typer.Option(help="Background IP: the licence's new text.")] = None,
    exclusive: Annotated[bool | None, typer.Option("--exclusive/--non-exclusive", help="The licence's exclusivity.")]
    = None,
    territory: Annotated[str | None, typer.Option(help="The licence's territory.")] = None,
    licence_from: Annotated[str | None, typer.Option("--licence-from", help="YYYY-MM-DD; empty: none.")] = None,
    until: Annotated[str | None, typer.Option(help="YYYY-MM-DD the licence ends; empty: no end date.")] = None,
    contributor: ContributorOpt = None,
    project: ProjectOpt = None,
    note: NoteOpt = "",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change an asset (owner, shares, licence, title, number): a new version; what is not given is kept."""
    store, clock = open_store(), SystemClock()
    who = _principal(store, as_user, alliance, clock)
    current = ip.show(store, alliance, asset, who).current
    _print(ip.change(store, alliance, asset, who, clock, title=title, number=number, owner=owner,
                     licence=_licence(licence, exclusive, territory, licence_from, until, current.licence),
                     contributors=_shares(contributor), project=project, note=note), as_json)


@app.command("show")
@fails_cleanly
def show(asset: Annotated[int, typer.Argument(help="The asset's number in the register.")], alliance: AllianceOpt,
         as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """One asset with every version."""
    store, clock = open_store(), SystemClock()
    _print(ip.show(store, alliance, asset, _principal(store, as_user, alliance, clock)), as_json)


@app.command("list")
@fails_cleanly
def list_(
    alliance: AllianceOpt,
    member: Annotated[str | None, typer.Option(help="Its background IP and the foreground IP it has a share of.")]
    = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    origin: Annotated[str | None, typer.Option(help="background or foreground.")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The register, as it stands."""
    store, clock = open_store(), SystemClock()
    found = ip.read_register(store, alliance, _principal(store, as_user, alliance, clock), clock, member=member,
                             kind=kind, origin=origin)
    if as_json:
        print(json.dumps({"assets": [ip.as_json(a) for a in found.assets],
                          "joint_patents": ip.joint_patents(found.assets)}, ensure_ascii=False, indent=2))
        return
    table = Table("No.", "Origin", "Kind", "Title", "Number", "Owner / contributors", "Versions")
    for a in found.assets:
        v = a.current
        holders = v.owner or ", ".join(f"{s.member} {s.share}" for s in v.contributors)
        table.add_row(str(a.asset), a.origin.value, a.kind.value, v.title, v.number or "-", holders,
                      str(len(a.versions)))
    console.print(table)
    console.print(f"Joint patents: {ip.joint_patents(found.assets)}", highlight=False)
