"""Exchange rates: the alliance's register of daily rates into its settlement currency, and the
conversion of an amount by one of them (汇率登记与换算).

`rates` (reading and checking a file or a push of rates, merging it with the stored ones) and
`conversion` (`rate_on`, `convert`, `RateMissing`) are pure; `service` holds the use cases the CLI,
the API and the web call. The register is append-only: a stored rate is never changed (docs/formats/
exchange-rates.md).
"""
