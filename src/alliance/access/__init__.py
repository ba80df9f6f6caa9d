"""Who is asking, and what they may do: users, API keys, roles and the one authorisation policy.

`roles` names the roles and the principal a request acts as; `credentials` makes and checks
passwords (argon2id) and API keys (a lookup prefix and the SHA-256 of a 256-bit secret); `policy`
decides every access; `service` stores users and keys. See docs/access.md.
"""
