"""Privacy-preserving collaboration (issue 26): private set intersection of members' customer lists.

The pure parts (normalise, levels, limits, protocol) run on a member's own machine in the
`alliance psi` client; `service` is the platform's side, which relays blinded messages and never
sees an identifier."""
