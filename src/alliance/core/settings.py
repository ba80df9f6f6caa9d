"""The one settings object: every knob is an environment variable with the `ALLIANCE_` prefix."""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

PREFIX = "ALLIANCE_"
FACTS_ENGINES = ("duckdb", "spark")
# What Spark itself accepts as a master URL (SparkContext): local modes, a standalone cluster (one or
# more host:port, for standby masters), YARN, Kubernetes.
SPARK_MASTER = re.compile(r"local(\[(\d+|\*)(,\d+)?\])?|local-cluster\[\d+,\d+,\d+\]|"
                          r"spark://[^\s/:]+:\d+(,[^\s/:]+:\d+)*|yarn|k8s://\S+")


class Settings(BaseModel):
    """Platform configuration, read from the environment (see README, "Configuration").

    A plain model filled by `get_settings` from the `ALLIANCE_*` variables (names in any case, as
    pydantic-settings read them): pydantic-settings cost every command a tenth of a second to import."""

    model_config = ConfigDict(extra="ignore")

    home: Path = Field(default=Path("data"), description="Data directory; holds the SQLite file.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@host/db; default SQLite in home.",
    )
    default_locale: str = Field(default="zh_CN", description="Language of the web UI: zh_CN or en.")
    facts_path: Path | None = Field(default=None, description="DuckDB file of order lines; default facts.duckdb in home.")
    facts_engine: str = Field(
        default="duckdb",
        description="What computes settlement totals: duckdb (the fact store itself) or spark (Apache Spark over a "
                    "Parquet copy of the order lines, kept up to date by every import; docs/settlement.md).",
    )
    spark_master: str = Field(
        default="local[2]",
        description="With the spark engine: where Spark runs: local[N] (in this process's JVM, N cores), "
                    "spark://host:7077, yarn or k8s://https://host:port.",
    )
    facts_parquet: str | None = Field(
        default=None,
        description="With the spark engine: the directory of the Parquet copy of the order lines, on storage every "
                    "Spark worker reads at the same path; default facts-parquet in home.",
    )
    settle_at: str | None = Field(
        default=None,
        description="HH:MM local to each alliance: `alliance serve` settles yesterday after this time daily.",
    )

    ledger_passphrase: SecretStr | None = Field(
        default=None,
        description="Seals each alliance's ledger signing key; long and random. Unset: development only, "
                    "a random one is created in home/ledger.passphrase.",
    )

    ledger_trusted_keys: Path | None = Field(
        default=None,
        description="A file of pinned ledger verifier keys, one a line (as `alliance ledger public-key` prints "
                    "them), kept outside the database: verification checks each alliance's stored key against it.",
    )

    max_body_mb: int = Field(default=64, ge=1, le=4096, description="Largest request body accepted, in MiB.")
    rate_limit: float = Field(default=200.0, gt=0, description="Requests a second per API key, on average.")
    rate_burst: int = Field(default=400, ge=1, description="Requests an API key may make at once above the rate.")

    anonymous_rate_limit: float = Field(
        default=5.0, gt=0, description="API requests a second per client address that carry no valid key (answered "
                                       "401), on average; past it they are answered 429.")
    anonymous_rate_burst: int = Field(default=60, ge=1, description="Such requests an address may make at once.")
    compute_workers: int = Field(default=2, ge=1, le=64,
                                 description="Heavy computations (games, voting power, screening, sandbox) at once "
                                             "per server process; more wait a moment, then get 503.")
    compute_seconds: float = Field(default=60.0, gt=0, description="Time budget of one heavy computation, in seconds.")
    compute_memory_mb: int = Field(default=1024, ge=64, description="Memory budget of one heavy computation, in MiB.")
    insecure_http: bool = Field(
        default=False,
        description="1: session and sign-in cookies without Secure, so browsers sign in over plain HTTP (a closed "
                    "office network only: passwords and sessions then cross the network unencrypted).",
    )
    trusted_proxies: str = Field(
        default="",
        description="Addresses or networks (comma-separated, e.g. 127.0.0.1,10.0.0.0/8) of the reverse proxies "
                    "whose X-Forwarded-For and X-Forwarded-Proto are believed; from anyone else they are ignored.",
    )

    smtp_url: SecretStr | None = Field(
        default=None,
        description="SMTP server for notification e-mail, e.g. smtp://user:password@host:587?starttls=1 or "
                    "smtps://user:password@host:465; unset: e-mails are recorded as skipped (docs/notifications.md).",
    )
    mail_from: str = Field(default="Alliance <alliance@localhost>", description="From address of notification e-mail.")
    public_url: str = Field(default="http://127.0.0.1:8000",
                            description="The workspace's address as users reach it, for links in e-mails and webhooks.")

    @field_validator("facts_engine")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        engine = value.strip().lower()
        if engine not in FACTS_ENGINES:
            raise ValueError(f"ALLIANCE_FACTS_ENGINE is {value!r}: it must be one of {', '.join(FACTS_ENGINES)}")
        return engine

    @field_validator("spark_master")
    @classmethod
    def _spark_master(cls, value: str) -> str:
        master = value.strip()
        if not SPARK_MASTER.fullmatch(master):
            raise ValueError(f"ALLIANCE_SPARK_MASTER is {value!r}: expected local, local[N], local[*], "
                             "spark://host:port, yarn or k8s://https://host:port")
        return master

    @field_validator("facts_parquet")
    @classmethod
    def _parquet_location(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        location = value.strip()
        if location.lower().startswith("file://"):
            location = location[len("file://"):]
        if "://" in location:
            # The platform writes the copy with renames (each file appears whole), which an object
            # store does not have; Spark alone could read one.
            raise ValueError(f"ALLIANCE_FACTS_PARQUET is {value!r}: it must be a directory (on storage the Spark "
                             "workers share, mounted at the same path, such as NFS); object-store URLs are not "
                             "supported yet")
        return location

    def resolved_facts_parquet(self) -> Path:
        """The Parquet copy's directory (absolute)."""
        return (Path(self.facts_parquet) if self.facts_parquet else self.home / "facts-parquet").resolve()

    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """The trusted proxies as networks (a bare address is a network of one)."""
        try:
            return tuple(ipaddress.ip_network(part.strip(), strict=False)
                         for part in self.trusted_proxies.split(",") if part.strip())
        except ValueError as exc:
            raise ValueError(f"ALLIANCE_TRUSTED_PROXIES: {exc}") from None

    def development_passphrase_file(self) -> Path | None:
        """The passphrase file in the data directory, when no ALLIANCE_LEDGER_PASSPHRASE is set
        (development); None when the passphrase is configuration, kept outside the data."""
        if self.ledger_passphrase is not None and self.ledger_passphrase.get_secret_value():
            return None
        return self.home / "ledger.passphrase"

    def resolved_ledger_passphrase(self) -> str:
        if self.ledger_passphrase is not None and self.ledger_passphrase.get_secret_value():
            return self.ledger_passphrase.get_secret_value()
        import secrets

        path = self.home / "ledger.passphrase"
        try:
            return path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        passphrase = secrets.token_urlsafe(32)
        # Created readable by its owner only, and never replaced: the keys sealed with it depend on it.
        with open(path, "x", encoding="utf-8", opener=lambda p, flags: os.open(p, flags, 0o600)) as f:
            f.write(passphrase + "\n")
        return passphrase

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'alliance.db').resolve()}"

    def resolved_facts_path(self) -> Path:
        return (self.facts_path or self.home / "facts.duckdb").resolve()


def get_settings() -> Settings:
    """Settings as the environment says now (cheap; not cached, so tests and tools can change it).

    Raises pydantic's ValidationError naming the setting when a value is not valid."""
    values: dict[str, str] = {}
    for key, value in os.environ.items():
        name = key[len(PREFIX):].lower() if key.upper().startswith(PREFIX) else ""
        if name in Settings.model_fields:
            values[name] = value
    return Settings.model_validate(values)
