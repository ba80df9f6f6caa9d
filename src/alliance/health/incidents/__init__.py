"""Incidents of an alliance (事故/事件处理): typed by a registry of kinds, each with its priority
(user complaint > system failure > contract dispute, as the article orders them), a bilingual SOP
checklist and a response clock per priority; run through open -> acknowledged -> mitigated ->
resolved -> closed with an incident lead and a scribe, an append-only timeline, status updates and
a closing review; escalated to governance when the clock runs out.

`engine` is the pure part (no I/O); `service` the use cases the CLI, the API and the web call.
"""
