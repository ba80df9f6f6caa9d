"""The IP register (issue 22): background IP each member brings to the alliance, with the licence it
grants; foreground IP created in alliance projects, with its contributors' exact shares; every change a
new version. `model` and `checks` are pure (no I/O); `exit` answers what a leaving member may keep
using and counts joint patents; `service` holds the use cases (store, ledger, access)."""
