"""A screening as the edges show it: exact figures (fraction text), the same rounded for reading, each
set's verdict and its reasons in plain words, and the notice that it is no legal advice. Pure: the
edge passes `say` (a Message in the reader's language) and the locale for the sets' names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alliance.competition.model import OCCASION_NAMES, RELATION_NAMES, ROLE_NAMES, percent_text, points_text
from alliance.competition.records import Screening
from alliance.competition.screen import NOT_LEGAL_ADVICE, VERDICT_NAMES, MarketResult
from alliance.competition.thresholds import ThresholdSet, localised
from alliance.ledger.events import utc_text

Say = Callable[[str], Any]


def set_json(s: ThresholdSet, locale: str) -> dict[str, Any]:
    return {"id": s.id, "name": s.name_in(locale), "citation": s.citation, "url": s.url, "published": s.published,
            "rules": [{"id": r.id, "effect": r.effect, "section": localised(r.section, locale),
                       "relations": sorted(x.value for x in r.relations),
                       "conditions": [{"measure": c.measure, "op": c.op, "value": str(c.value)} for c in r.conditions]}
                      for r in s.rules]}


def market_json(m: MarketResult, say: Say, locale: str) -> dict[str, Any]:
    f = m.figures
    return {
        "product": m.market.product, "region": m.market.region, "relation": m.market.relation.value,
        "relation_name": say(RELATION_NAMES[m.market.relation]), "size_minor": m.market.size_minor,
        "participants": [{"name": p.name, "role": p.role.value, "role_name": say(ROLE_NAMES[p.role]),
                          "share": str(p.share), "share_shown": percent_text(p.share)} for p in m.market.participants],
        "combined_share": str(f.combined_share), "combined_share_shown": percent_text(f.combined_share),
        "pre_hhi": [str(f.pre_hhi.low), str(f.pre_hhi.high)], "post_hhi": [str(f.post_hhi.low), str(f.post_hhi.high)],
        "post_hhi_shown": points_text(f.post_hhi.low), "pre_hhi_shown": points_text(f.pre_hhi.low),
        "delta_hhi": str(f.delta_hhi), "delta_hhi_shown": points_text(f.delta_hhi),
        "hhi_is_lower_bound": not f.complete, "notes": [say(n) for n in m.notes()], "flagged": m.flagged,
        "sets": [{"set": s.set_id, "name": s.name_in(locale), "citation": s.citation, "url": s.url,
                  "verdict": s.verdict.value, "verdict_name": say(VERDICT_NAMES[s.verdict]),
                  "words": say(s.words(m.market.relation, locale))} for s in m.sets],
    }


def screening_json(s: Screening, say: Say, locale: str) -> dict[str, Any]:
    j = s.justification
    return {"number": s.number, "occasion": s.occasion.value, "occasion_name": say(OCCASION_NAMES[s.occasion]),
            "subject": None if s.subject is None else {"name": s.subject.name, "credit_code": s.subject.credit_code,
                                                       "prospect": s.subject.prospect},
            "sets": list(s.sets), "screened_by": s.screened_by, "screened_at": utc_text(s.screened_at),
            "flagged": s.flagged, "needs_justification": s.needs_justification,
            "summary": say(s.result.summary()), "notice": say(NOT_LEGAL_ADVICE),
            "justification": None if j is None else {"text": j.text, "recorded_by": j.recorded_by,
                                                     "recorded_at": utc_text(j.recorded_at)},
            "inputs": dict(s.inputs), "markets": [market_json(m, say, locale) for m in s.result.markets]}
