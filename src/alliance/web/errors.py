"""Errors on pages: a page of their own in the user's language (the API keeps problem+json).

A request without a live session is sent to the sign-in page, remembering where it was going; an
htmx request gets `HX-Redirect` instead, so the whole page moves rather than a fragment of it.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from alliance.web.i18n import N_
from alliance.web.render import is_htmx, render
from alliance.web.viewer import SignInRequired

API_PATHS = ("/api/", "/healthz", "/static/")

# Titles by status, translated on the page; the detail is the error's own message.
TITLES = {
    400: N_("The request could not be handled"),
    401: N_("Please sign in"),
    403: N_("You may not do this"),
    404: N_("Not found"),
    405: N_("The request could not be handled"),
    409: N_("This conflicts with what is already recorded"),
    413: N_("The upload is too large"),
    422: N_("Some of the input is not valid"),
    429: N_("Too many requests: wait a moment and try again"),
    500: N_("Something went wrong on our side"),
    503: N_("The service is unavailable"),
}


# What an error means, by its stable code, for readers of a language other than the English of
# the error's own message (which names the specifics and is shown beneath, as details).
EXPLANATIONS = {
    "forbidden": N_("Your role does not allow this here."),
    "csrf_failed": N_("The form was too old or sent from elsewhere: reload the page and send it again."),
    "not_found": N_("There is nothing at this address, or it is not yours to see."),
    "fund_release_not_as_recorded": N_("A fund's release was changed after it was recorded; the day stays open until "
                                       "it is restored."),
    "charge_not_as_recorded": N_("A shared operation's charge (a campaign, a warehouse month) was changed after it "
                                 "was recorded; the day stays open until it is restored."),
    "campaign_not_found": N_("There is no such joint purchasing campaign in this alliance."),
    "campaign_position_not_found": N_("That member has no commitment to this campaign, or it is not yours to see: "
                                      "members see only their own commitment."),
    "campaign_invalid": N_("The campaign, commitment or delivery was not valid; every problem is listed below and "
                           "nothing was stored."),
    "commitment_closed": N_("The campaign no longer takes commitments: they are accepted only before its deadline, "
                            "while it is open."),
    "campaign_state": N_("The campaign is not in a state that allows this (for example, an order is confirmed only "
                         "after the campaign succeeded)."),
    "purchase_tiers_invalid": N_("A supplier's tier table was not valid: tiers start at quantity 1 and go up in "
                                 "quantity and down in price; the row is named below."),
    "purchase_shapley_too_large": N_("The Shapley split is computed exactly for at most 15 members; split this "
                                     "campaign pro rata instead."),
    "marketing_campaign_not_found": N_("There is no such marketing campaign here, or your member does not take part "
                                       "in it: a member sees only the campaigns it takes part in."),
    "marketing_campaign_invalid": N_("The campaign is not valid; every problem is listed below. Nothing was saved."),
    "marketing_ratios_sum": N_("The members' cost-share ratios must add up to exactly 1 (for example 0.5, 0.3 and "
                               "0.2). Nothing was saved."),
    "marketing_cost_invalid": N_("The cost is not valid; every problem is listed below. Nothing was recorded."),
    "marketing_over_budget": N_("This cost would take the campaign above its budget, which every member consented "
                                "to; it was refused and nothing was recorded."),
    "marketing_campaign_state": N_("The campaign is not in a state that allows this: costs are recorded once every "
                                   "member consented, and each member consents once."),
    "referral_not_found": N_("There is no such referral here, or it is between two other members: a member sees only "
                             "the referrals it made or received."),
    "bid_not_found": N_("There is no such bid in this alliance, or it is not yours to see."),
    "bid_invalid": N_("The bid is not valid; every problem is listed below. Nothing was saved."),
    "bid_shares_sum": N_("The members' price shares must add up to exactly 1 (100%). Change the shares so that they "
                         "do; nothing was saved."),
    "bid_state": N_("The bid is not in a state that allows this: a submitted bid is frozen, and an outcome is recorded "
                    "once. Nothing was saved."),
    "bid_document_invalid": N_("The document was refused (kind, size or content); every problem is listed below. "
                               "Nothing was saved."),
    "referral_invalid": N_("The referral is not valid; every problem is listed below. Nothing was saved."),
    "referral_consent_missing": N_("A lead is referred only with its consent: say who gave it, when and how. Nothing "
                                   "was saved."),
    "referral_duplicate": N_("This lead was already referred to the same member and its exclusivity window is still "
                             "open; the earlier referral is named below. Nothing was saved."),
    "referral_state": N_("The referral is not in a state that allows this (see its page for what it allows now)."),
    "referral_order_invalid": N_("These orders cannot be linked: each must be sold by the receiving member inside the "
                                 "referral's window. Nothing was linked."),
    "referral_order_linked": N_("An order is linked to one referral only, and one of these already is. Nothing was "
                                "linked."),
    "fund_not_distributable": N_("A fund cannot be shared out as the exit clause says; the reason is below."),
    "dissolution_blocked": N_("The alliance cannot be dissolved yet: everything listed below is done first (exit "
                              "cases closed, days settled, funds shared out and booked, disputes ended, "
                              "sub-alliances dissolved). Nothing was changed."),
    "dissolution_not_started": N_("The alliance is not being dissolved (or is dissolved already): start the "
                                  "winding-up first, by a dissolve proposal or the coordinator naming the decision."),
    "alliance_tree_cycle": N_("The alliances' parents form a cycle; the registry must be corrected first."),
    "alliance_not_found": N_("There is no such alliance, or it is not yours to see."),
    "member_not_found": N_("There is no such member in this alliance."),
    "agreement_not_found": N_("There is no such agreement or version in this alliance."),
    "prospect_not_found": N_("There is no such prospect in this alliance."),
    "holder_not_found": N_("There is no such member or directory entry in this alliance, or it is not yours to see."),
    "declaration_not_found": N_("That holder has no such resource or need."),
    "directory_entry_invalid": N_("The directory entry was not valid; nothing was stored."),
    "directory_entry_exists": N_("An outside company with this code is already in the directory."),
    "warehouse_invalid": N_("The warehouse was not valid; nothing was stored."),
    "warehouse_booking_invalid": N_("The booking was not valid; nothing was stored."),
    "warehouse_not_found": N_("There is no such warehouse in this alliance."),
    "warehouse_booking_not_found": N_("There is no such booking, or it is not yours to see."),
    "inventory_query_invalid": N_("The inventory board's day, slow-moving threshold, page or months were not valid: "
                                  "correct them and ask again."),
    "warehouse_over_capacity": N_("The warehouse is full on the day named: choose other days, join the waitlist or "
                                  "use another member's storage space."),
    "warehouse_booking_state": N_("The booking's state does not allow this (e.g. a checked-in booking is not "
                                  "cancelled, it is checked out)."),
    "warehouse_month_billed": N_("This warehouse month is already billed; later changes are billed as corrections "
                                 "in the next month."),
    "warehouse_month_not_over": N_("A month is billed after its last day."),
    "term_invalid": N_("The term was not valid; nothing was stored."),
    "term_exists": N_("This term, or one of its synonyms, is already in the glossary for this scope; edit that term instead."),
    "term_not_found": N_("The glossary has no such term."),
    "term_already_agreed": N_("This version of the term is already agreed."),
    "glossary_scope_unknown": N_("The alliance has no such body to hold the term."),
    "article_invalid": N_("The article was not valid; nothing was stored."),
    "article_not_found": N_("The knowledge base has no such article."),
    "view_not_found": N_("This view is not shared (any more)."),
    "view_aggregates_only": N_("This view is differentially private: it answers group queries only, never rows."),
    "view_not_private": N_("This view was published without differential privacy: it has no budget. Publish a new "
                           "view to share noised aggregates."),
    "view_budget_exceeded": N_("This query would spend more of the view's privacy budget than is left for this "
                               "period; nothing was spent. Ask for a smaller ε or wait for the next period."),
    "psi_session_not_found": N_("This member takes part in no such overlap session (or its message is not there yet)."),
    "psi_not_shared": N_("The sharing levels of the two members do not allow this comparison: the stricter side wins."),
    "psi_rate_limited": N_("This pair of members has opened as many overlap sessions today as a pair may."),
    "psi_wrong_state": N_("The overlap session is not at this step, or the step is the other member's."),
    "psi_replayed": N_("This protocol message was already relayed; it is never relayed twice."),
    "psi_out_of_order": N_("Protocol messages are relayed in order: an earlier one is still missing."),
    "psi_list_too_small": N_("An overlap needs lists of a minimum size on both sides, so that it cannot single out a customer."),
    "psi_bad_message": N_("The bytes sent are not a protocol message of this session."),
    "psi_session_expired": N_("An overlap session that is not done within 24 hours of being opened expires; open a new one."),
    "psi_fields_unreadable": N_("The partner's fields could not be decrypted: the session keys differ or the message was altered."),
    "day_closed": N_("This business day is already settled and closed; a closed day is never settled again."),
    "day_out_of_order": N_("Business days are settled in order: settle the day named below first."),
    "settlement_input_missing": N_("A rule needs a figure that has not been recorded yet (a period metric)."),
    "invalid_agreement": N_("The agreement document cannot be read; see the line named below."),
    "milestone_not_found": N_("There is no such milestone: the agreement's latest version signed by every party has no milestone rule of that id."),
    "milestone_conflict": N_("The milestone is not in a state that allows this (already recorded, decided or booked); the page shows its state now."),
    "milestone_not_yours": N_("Only whom the milestone rule names confirms it: that party, the alliance's auditor, or the committee by a vote."),
    "milestone_not_as_recorded": N_("A milestone was changed outside the platform: the day stays open until the operator restores it from a backup."),
    "unknown_language": N_("A document can be exported in Chinese (zh-CN) or English (en) only."),
    "version_not_printable": N_("This version holds a field too long to lay out on a page; a new version with it shortened can be exported."),
    "agreement_layer_conflict": N_("The agreement contradicts its framework, the agreement it amends or a project under it; each conflict is named below."),
    "stage_refused": N_("The prospect cannot move to that stage yet."),
    "rate_limited": N_("Too many requests in a short time: wait a moment and try again."),
    "body_too_large": N_("The upload is larger than the server accepts."),
    "store_unavailable": N_("The database cannot be reached right now; nothing was changed."),
    "fact_store_unavailable": N_("The order-line store cannot be opened right now; nothing was changed."),
    "parquet_copy_incomplete": N_("The Parquet copy of the order lines that Spark reads lacks some lines; nothing was "
                                  "settled. An operator re-exports it with `alliance facts export`."),
    "ledger_key_locked": N_("The ledger's signing key is locked on this server."),
    "invalid_input": N_("Some of the input is not valid; nothing was saved."),
    "conflict": N_("This clashes with what is already recorded; nothing was saved."),
    "journey_period_open": N_("The month has not ended yet in the alliance's time zone: its events are not all in. Its journey metrics can be computed from the first day of the next month."),
    "journey_no_events": N_("No customer events of the month were shared, so there is nothing to measure; nothing was recorded. Import the month's events first."),
    "journey_already_recorded": N_("Some of the month's journey metrics were recorded before with other values, and a period's metrics are never rewritten; nothing was recorded. Verify the month to see whether its events changed since."),
    "agreement_not_as_signed": N_("The agreement in force differs from what its parties signed; nothing was settled. Ask the coordinator to check the ledger."),
    "already_stored": N_("The same record was saved at the same moment by someone else; nothing was changed. Reload and check."),
    "archive_unreadable": N_("The file is not a member archive this platform can read: not a ZIP file, or its manifest is missing or of another format."),
    "backup_damaged": N_("The backup file cannot be restored: it is damaged, edited or not a backup of this platform."),
    "blank_metrics": N_("Some members have blank figures for the chosen criteria: choose to leave out those members or those criteria."),
    "code_refused": N_("The one-time code is unknown, already used or expired: ask your administrator for a new one."),
    "compute_busy": N_("The server is busy with other calculations: wait a moment and try again."),
    "compute_over_budget": N_("The calculation needs more time or memory than the server allows; choose a smaller case or another method."),
    "currency_mismatch": N_("Amounts in different currencies cannot be combined here."),
    "day_unsettleable": N_("This day's stored order lines cannot be settled as they are; see the details and set the named lines aside."),
    "day_unshared": N_("The day has order lines but no agreement in force: closing it shares nothing, so it must be confirmed first."),
    "game_invalid": N_("The game's description is not valid; see the details below."),
    "game_too_large": N_("The game has too many players for this method; choose a sampling or closed-form method."),
    "inconsistent_judgements": N_("The pairwise judgements contradict each other too much; revise the one named below."),
    "invalid_money": N_("An amount is not valid; see the details below."),
    "journal_accounts_clash": N_("Two accounts of the journal would be written the same way in the export; rename one of them."),
    "ledger_damaged": N_("The ledger failed its integrity check: nothing more is recorded until it is repaired. Tell the platform's operator."),
    "ledger_missing": N_("This alliance has no ledger yet: it opens with its next recorded change."),
    "not_authenticated": N_("Signing in failed: check the username and password."),
    "note_invalid": N_("The signed note is not valid: its text or signature does not check."),
    "pilot_without_kpis": N_("This pilot has no KPI: add one, or write down why you decide without any."),
    "power_of_attorney_not_found": N_("There is no such power of attorney for this member."),
    "attorney_self_dealing": N_("An account acting for a member by its power of attorney may not take a step whose "
                                "other side is the account's own member; the member's own account can."),
    "restore_target_not_empty": N_("A backup is restored only into an empty platform; this one already holds data."),
    "solver_failed": N_("The calculation could not be completed for this game; see the details below."),
    "unreadable_file": N_("The file cannot be read: check its type and that it is not damaged."),
    "wrong_password": N_("The current password is not right; nothing was changed."),
    "decision_rule_invalid": N_("The decision rule's settings are not valid (a threshold or quorum outside 0 to 100%, an unknown rule or setting); see the details below."),
    "vote_weights_invalid": N_("The voting weights cannot be used: a weight is negative or not exact, all are zero, or they do not add up to the required total. Nothing was counted."),
    "proxy_refused": N_("This proxy is not allowed: a member cannot give its vote to itself, to a non-voter, or to a member who gave its own vote away. Nothing was changed."),
    "ballot_refused": N_("A ballot cannot be counted: the voter is not eligible, the choice does not exist under this rule, or it was cast without holding the member's proxy. Nothing was counted."),
    "body_not_found": N_("There is no such body in this alliance."),
    "meeting_not_found": N_("There is no such meeting in this alliance, or its body does not include your member."),
    "meeting_in_past": N_("A new meeting must be in the future: choose a later date; nothing was scheduled."),
    "decision_required": N_("Every status change but forming to active is decided by the alliance (a proposal): "
                            "name the decision, e.g. proposal 12."),
    "proposal_not_found": N_("There is no such proposal in this alliance, or it belongs to a body you do not sit in "
                             "(a draft is seen only by its author)."),
    "voting_closed": N_("Voting on this proposal is not open: it has not started yet or its window has ended. "
                        "Nothing was recorded."),
    "already_voted": N_("This member has already voted, and this proposal does not allow changing a vote."),
    "proposal_state": N_("The proposal's stage does not allow this (a submitted proposal is not edited, only an "
                         "accepted one is implemented); nothing changed."),
    "proposal_invalid": N_("The proposal cannot be saved as entered: each field in question says what is wrong; "
                           "nothing was saved."),
    "dispute_not_found": N_("There is no such dispute in this alliance, or you are not one of its parties."),
    "dispute_closed": N_("This dispute is already withdrawn or resolved; it can no longer change."),
    "alliance_not_writable": N_("The alliance's status does not allow this change (a dissolved alliance accepts "
                                "none); everything can still be read."),
    "status_change_not_allowed": N_("The alliance cannot move to that status from the one it has; the message "
                                    "names the ones it can."),
    "weights_unavailable": N_("This source has no voting weights to give yet (no explicit table set, nothing settled "
                              "in the last 365 days, or the table names a member who left); the message says what to "
                              "do. Nothing was changed."),
    "weight_source_unknown": N_("There is no such source of voting weights: use table, settled or equal."),
    "correction_not_as_recorded": N_("A ruling's correction is not what the ledger recorded when it was scheduled: "
                                     "the day stays open until it is restored (see the ledger's verification)."),
    "correction_already_booked": N_("Another settlement run booked a ruling's correction at the same moment; "
                                    "nothing was saved: settle the day again."),
    "meeting_not_held": N_("The minutes are signed once the meeting has been held; come back after it."),
    "minutes_already_signed": N_("Your member already signed this version of the minutes; it signs again only "
                                 "if they change."),
    "incident_not_found": N_("There is no such incident in this alliance, or it neither concerns your member nor "
                             "was reported by it."),
    "incident_transition_refused": N_("The incident cannot move to that status from the one it has; the message "
                                      "names the ones it can."),
    "incident_review_required": N_("An incident is closed only after its closing review is written."),
    "incident_already_reviewed": N_("This incident's closing review is already written; it is kept as it is."),
    "ip_invalid": N_("The IP register entry was not stored: the message lists what is missing or wrong (a title, a "
                     "number, a licence)."),
    "ip_unknown_kind": N_("There is no such kind of IP: use patent, software, trademark, know-how or design."),
    "ip_shares_not_one": N_("The contributors' shares must add up to exactly 1 (write thirds as 1/3); nothing was "
                            "stored."),
    "ip_not_a_member": N_("An owner or contributor must be a current member of the alliance; nothing was stored."),
    "ip_licence_dates": N_("The licence's end date is before its start date; nothing was stored."),
    "ip_duplicate_number": N_("This number is already registered for the same owner and kind; open that asset and "
                              "change it instead."),
    "ip_asset_not_found": N_("There is no IP asset with this number in this alliance's register."),
    "coalition_invalid": N_("The coalition request cannot be solved as given (a coverage outside 0 to 1, a "
                            "weight or cost not above zero, k below 1, a code given twice); each problem is "
                            "named below."),
    "coalition_constraints_conflict": N_("The coalition's constraints cannot all hold (an unknown code, a partner "
                                         "both included and excluded, more must-includes than k, or two of them "
                                         "in one region); each conflict is named below."),
    "matching_no_needs": N_("Partners are recommended for needs: this member or company has declared none yet. Add "
                            "what it lacks on its resources page, then ask again."),
    "matching_invalid": N_("The recommendation request is not valid (k is a whole number from 1 to 100, costs name "
                           "candidates); nothing was changed."),
    "declaration_invalid": N_("A resource or need is not valid (an unknown kind, a negative capacity, a window that "
                              "ends before it starts, a priority outside 1 to 5); each problem is named below and "
                              "nothing was stored."),
    "unknown_resource_kind": N_("That resource kind is not in this alliance's taxonomy; the resource map page lists "
                                "its kinds."),
    "resource_kind_invalid": N_("A new resource kind is written group/name under an existing group, with a name in "
                                "English and in Chinese, and must not exist already."),
    "coalition_infeasible": N_("No set of partners covers every need within the limits; the message says why, "
                               "and the best partial coalition is shown."),
    "competition_invalid": N_("The screening was not run: each market and row named below has a problem. Nothing "
                              "was stored."),
    "competition_shares_over_100": N_("A share, or the shares of one market together, are above 100%: check the "
                                      "market named below. Nothing was stored."),
    "competition_negative_amount": N_("A market size, sales figure or share is negative. Nothing was stored."),
    "competition_empty_market": N_("A market has no participants, or no member in it: enter at least one member and "
                                   "its share. Nothing was stored."),
    "competition_unknown_member": N_("A participant entered as a member is not a current member of the alliance: "
                                     "enter it as another firm, or use the member's code. Nothing was stored."),
    "competition_duplicate_participant": N_("A participant is named twice in one market. Nothing was stored."),
    "competition_not_a_number": N_("A share must be a percentage (30, 12.5 or 100/3) and sales or a market size an "
                                   "amount; the row named below is neither. Nothing was stored."),
    "competition_threshold_set_invalid": N_("A threshold set file cannot be read: the message names what is wrong "
                                            "in it."),
    "competition_unknown_threshold_set": N_("There is no such threshold set: the message lists the sets there are."),
    "competition_screening_not_found": N_("There is no competition screening with this number in this alliance."),
    "competition_nothing_to_justify": N_("This screening crossed no threshold, or it was justified already: nothing "
                                         "to record."),
    "competition_justification_required": N_("A competition screening crossed a threshold and the coordinator has "
                                             "not recorded a justification: record it on the screening's page "
                                             "first."),
    "warning_rule_not_found": N_("There is no warning rule with this id in this alliance."),
    "warning_rule_exists": N_("A warning rule with this id exists already: edit it instead, or choose another id."),
    "warning_silence_not_found": N_("There is no such silence in this alliance."),
    "warning_silence_ended": N_("This silence is already over (ended or expired); set a new one if needed."),
    "warning_series_unavailable": N_("The indicator series cannot be read right now, so the warning rules were not "
                                     "evaluated; nothing was changed."),
    "kpi_catalogue_invalid": N_("The KPI definition cannot be used as entered (its bands must order for its "
                                "direction); the message names the indicator. The catalogue was not changed."),
    "kpi_value_invalid": N_("The value cannot be recorded: only entered indicators of the catalogue take values, for "
                            "a period such as 2026Q4 and a number. Nothing was stored."),
    "kpi_period_invalid": N_("The period is not understood: write 2026Q4, 2026-11, 2026-W48 or "
                             "2026-10-01..2027-01-01."),
    "pledge_invalid": N_("The pledge or delivery cannot be recorded as entered; the message says what is wrong. "
                         "Nothing was stored."),
    "pledge_not_found": N_("There is no such pledge in this alliance, or it is not yours to see."),
    "rating_weights_invalid": N_("The rating weights must be exact decimals between 0 and 1, each table summing to "
                                 "exactly 1; the message names the sum. Nothing was saved."),
    "rating_thresholds_invalid": N_("The star thresholds must be four scores above 0 and at most 100, each above the "
                                    "one before. Nothing was saved."),
    "rating_benefits_invalid": N_("A tier benefit is not valid: each line names the tier, a known kind and its "
                                  "parameters. Nothing was saved."),
    "review_import_invalid": N_("The review file has bad rows, each listed with its row number; no review was "
                                "imported."),
    "rating_not_found": N_("There is no such rating in this alliance."),
    "rating_procedure_not_found": N_("There is no such elimination procedure in this alliance."),
    "rating_decision_refused": N_("This rating cannot be decided now: it is not pending, or you ran it yourself and "
                                  "another person must approve it."),
    "rating_appeal_refused": N_("The appeal cannot be made or decided now: there is no procedure in its improvement "
                                "period, it was already appealed, or the appeal period has ended."),
    "rating_period_invalid": N_("The period is not valid: write a quarter as 2027Q1."),
    "fx_rates_invalid": N_("The exchange rates were not imported: each row named below has a problem. Nothing of the "
                           "file was stored."),
    "fx_rate_conflict": N_("The exchange rates were not imported: a rate differs from the one already stored for its "
                           "day and currency. A stored rate is never changed."),
    "rate_missing": N_("No exchange rate is stored for the currency and day named below: import it first."),
    "day_over_converted": N_("Converted into the settlement currency, the day's order lines carry more than one "
                             "day may hold: the day stays open."),
    "payout_day_open": N_("The payout was not recorded: a day of its period has not been settled yet. Only closed "
                          "days are paid; settle the day first, or end the payout before it."),
    "payout_days_paid": N_("The payout was not recorded: the member was already paid for some of these days. A day is "
                           "paid to a member at most once; pay the days after the last payout."),
    "payout_not_found": N_("There is no such payout, or it is another member's."),
    "exit_case_not_found": N_("There is no such exit case, or it is another member's."),
    "exit_case_open": N_("The member already has an open exit case: one case at a time. Follow that case, or close "
                         "it first."),
    "exit_case_closed": N_("The exit case is closed: its steps no longer change."),
    "exit_holdback_required": N_("A dispute naming the member is still open: the holdback stays, and is released "
                                 "only when the disputes end."),
    "exit_step_not_waivable": N_("This step cannot be waived: the exit is not complete without it."),
    "exit_step_not_by_hand": N_("This step is done by its own action: both parties acknowledging the final "
                                "statement, recording the end of membership, or erasing the member's data."),
    "exit_days_open": N_("Days through the end date are not settled yet: settle them, then mark the final "
                         "settlement done."),
    "exit_end_not_reached": N_("The end date has not come yet: the end of membership is recorded on or after it."),
    "exit_statement_not_final": N_("The final statement is not final yet: the final settlement must be done first."),
    "exit_statement_changed": N_("The final statement changed since the other party acknowledged it: read it "
                                 "again before acknowledging."),
    "exit_no_end_date": N_("No end date follows from the trigger: give the agreed end date."),
    "exit_statement_fixed": N_("The final statement was acknowledged: the final settlement it rests on stays done."),
    "exit_window_open": N_("The member's archive is still within its retrieval window: the data step is done after "
                           "the window, once what the alliance no longer needs is deleted."),
    "exit_data_erased": N_("The member's data was erased already: the data step is done, and an erasure is done "
                           "once."),
    "exit_member_not_left": N_("The member has not left yet: its data is erased after its membership ends and the "
                               "archive's retrieval window has passed."),
}
# Codes that never reach a page: the command line's own, and the sign-in redirect.
NOT_ON_PAGES = frozenset({"no_data_directory", "sign_in_required"})


def is_page(request: Request) -> bool:
    """Whether the request is for a page (errors as HTML) rather than the API (problem+json)."""
    return not request.url.path.startswith(API_PATHS)


def sign_in_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"{request.scope.get('root_path', '')}/sign-in?next={quote(target, safe='')}"
    if is_htmx(request) or request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def page_problem(request: Request, status: int, code: str, detail: str, exc: Exception | None) -> Response | None:
    """The HTML answer to an error on a page, or None for an API request (problem+json then)."""
    if not is_page(request):
        return None
    if isinstance(exc, SignInRequired):
        return sign_in_redirect(request)
    title = TITLES.get(status, TITLES[400 if status < 500 else 500])
    template = "fragments/error.html" if is_htmx(request) else "error.html"
    # An htmx fragment is swapped in place (htmx-config swaps 4xx/5xx answers), with its status kept.
    return render(request, template, status=status, error_title=title, error_detail=detail, error_code=code,
                  error_status=status, error_explanation=EXPLANATIONS.get(code))


def wants_page(request: Request) -> bool:
    """A browser's page or htmx request (HTML answers), not an API client's (problem+json)."""
    return is_page(request) and ("text/html" in request.headers.get("accept", "")
                                 or request.headers.get("hx-request") == "true")


def too_large_page(request: Request, limit: int) -> Response | None:
    """413 for an upload over the body limit, in the user's language: the limit, and the command
    line for larger files (a whole page; the message alone for htmx, swapped where the form's
    result goes). None for an API client's request (edge.guards.BodyLimit answers problem+json)."""
    if not wants_page(request):
        return None
    template = "fragments/too_large.html" if request.headers.get("hx-request") == "true" else "too_large.html"
    return render(request, template, status=413, limit_mib=limit // 2**20)
