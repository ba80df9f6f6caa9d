"""Backup and restore of everything that makes the platform's alliances: the relational database
(alliances, members, agreements, statements, the ledger with its sealed keys, users), the fact store
(order lines) and, in development, the ledger passphrase kept in the data directory.

`archive` is the file format (a tar of JSON lines, a DuckDB export and a manifest with every file's
SHA-256); `service` takes and restores a backup and verifies what it restored."""
