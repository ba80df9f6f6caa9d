"""Notifications: what happened in an alliance, told to the people it concerns.

A capability that has news calls `notify.outbox.publish(uow, notice, now)` inside its own unit of
work (a transactional outbox: the notice exists exactly when the write that caused it committed).
Delivery happens afterwards and elsewhere: the in-app inbox, e-mail over SMTP and signed webhooks,
each chosen per user and event, so a receiver that is down never blocks the request that caused
the event.
"""
