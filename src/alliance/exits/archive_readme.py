"""The README inside a member's archive: every file and its columns, and how to verify it offline, in
Chinese and in English (a leaving member's counsel reads one or the other). Pure text; docs/exit.md
says the same for the platform's readers."""

from __future__ import annotations

from alliance.exits import archive_format as fmt

_ZH = """# 成员数据档案：{member}（联盟 {alliance}）

本档案包含成员 {member} 在联盟 {alliance} 中属于自己的全部数据，以及可离线验证的账本证明。
金额均为精确值：`*_minor` 列为该币种的最小单位整数（人民币为分），文本金额为十进制字符串。

## 文件
| 文件 | 内容 |
|---|---|
| `manifest.json` | 联盟、成员、生成时间、平台版本；每个文件的 SHA-256 与字节数；每个结算日的摘要；所依据的账本检查点 |
| `manifest.sig` | 联盟账本密钥对清单 SHA-256 的签名（C2SP signed note） |
| `registry/member.json` | `record`：账本记录的成员字段（legal_name, credit_code, role, joined_on, left_on）；`member`：完整登记信息；`people`：本成员的用户账号与 API 密钥（不含密码或密钥哈希） |
| `agreements/<协议>-v<版本>.yaml` | 本成员为当事方的每个协议版本，原文 |
| `agreements/versions.json` | 这些版本：agreement, version, sha256, effective_from, parties, file, signatures（各方签署：agreement, version, member, sha256, signer, signed_at, account, account_name, attorney_id） |
| `statements/<日期>.json` | 该结算日的对账单：alliance, member, day, currency, total, lines（agreement, version, rule, kind, base, rate, amount, adjustment_of, correction_of）, conversions；`recorded_lines`：账本摘要所用形式（account, agreement, version, rule_id, kind, base_minor, rate, amount_minor, adjustment_of） |
| `statements/<日期>.csv` | 同一对账单：agreement, version, rule, kind, base, rate, amount, adjustment_of, correction_of（UTF-8 带 BOM，Excel 可直接打开） |
| `journal/postings.csv` | 结算分录中本成员账户的过账与付款：day, agreement, version, rule, kind, adjustment_of, account, amount, currency, correction_of |
| `orders/order_lines.parquet` | 本成员作为卖方的全部订单行：line_id, order_id, occurred_at（UTC）, business_day, seller, product_owner, channel, sku, quantity, amount_minor, cost_minor, currency, attributed_to, refund_of, ingested_at（UTC）, amount_c, cost_c（已折算为联盟结算币种，未折算为空） |
| `datashare/views.json` | 本成员发布的共享视图：id, member, name, dataset, policies, k, created_by, created_at, revoked_at |
| `datashare/access_log.csv` | 这些视图的访问记录：view, view_name, accessed_by, accessed_at, kind, query, returned |
| `governance/votes.json` | `ballots`：本成员的投票（proposal, title, voter, choice, sequence, by, cast_by, cast_at, salt，salt 用于复算账本中的投票摘要）；`proxies`：本成员给出或持有的委托 |
| `ip/register.json` | 本成员拥有或参与的知识产权登记：assets（asset, versions：每版本的全部字段）；recorded（账本摘要所用形式） |
| `payouts/payouts.json` | 本成员的付款记录与付款币种选择（payouts, currency_choices），及账本摘要所用形式（recorded, recorded_currency_choices） |
| `disputes/disputes.json` | 本成员为当事方的争议及证据摘要 |
| `ledger/checkpoint.note` | 联盟账本的签名检查点 |
| `ledger/verifier-key.txt` | 联盟账本公钥 |
| `ledger/entries.jsonl` | 与本成员相关的每条账本记录：index, entry（原文）, proof（相对检查点的包含证明） |

## 离线验证
    alliance archive verify {file} --trusted-key '<联盟公布的公钥>'
验证：清单签名、每个文件的摘要、每条账本记录的包含证明、成员记录与协议版本（由 YAML 复算）及签署与账本一致、
对账单行与签名清单一致；若某日对账单仅含本成员的行，则按平台同一函数完整复算该日摘要；
与其他成员共有的日期，用本成员自己的行、盐值与默克尔路径复算结算当日账本记录的 members_root。
仅在 2026-12-05 之前结算且与他人共有的日期，由联盟签名证明本成员的行。
"""

_EN = """# Member data archive: {member} (alliance {alliance})

This archive holds everything of member {member}'s own in alliance {alliance}, with the ledger
proofs that let anyone verify it offline. Money is exact: `*_minor` columns are integers in the
currency's minor unit (fen for CNY), amounts as text are decimal strings.

## Files
| file | what it holds |
|---|---|
| `manifest.json` | alliance, member, when, platform version; every file's SHA-256 and size; each settled day's digests; the ledger checkpoint proven against |
| `manifest.sig` | the alliance's ledger key's signature over the manifest's SHA-256 (a C2SP signed note) |
| `registry/member.json` | `record`: the member's fields as the ledger records them (legal_name, credit_code, role, joined_on, left_on); `member`: its whole registry record; `people`: its user accounts and API keys (no password or key hashes) |
| `agreements/<agreement>-v<n>.yaml` | every version of an agreement it is party to, as proposed and signed |
| `agreements/versions.json` | those versions: agreement, version, sha256, effective_from, parties, file, signatures (every party's: agreement, version, member, sha256, signer, signed_at, account, account_name, attorney_id) |
| `statements/<day>.json` | the statement of a settled day: alliance, member, day, currency, total, lines (agreement, version, rule, kind, base, rate, amount, adjustment_of, correction_of), conversions; `recorded_lines`: the lines as the ledger digested them (account, agreement, version, rule_id, kind, base_minor, rate, amount_minor, adjustment_of) |
| `statements/<day>.csv` | the same statement: agreement, version, rule, kind, base, rate, amount, adjustment_of, correction_of (UTF-8 with a BOM: Excel opens it) |
| `journal/postings.csv` | the settlement journal's postings of its account, and its payouts: day, agreement, version, rule, kind, adjustment_of, account, amount, currency, correction_of |
| `orders/order_lines.parquet` | every order line it sold: line_id, order_id, occurred_at (UTC), business_day, seller, product_owner, channel, sku, quantity, amount_minor, cost_minor, currency, attributed_to, refund_of, ingested_at (UTC), amount_c, cost_c (converted into the alliance's currency; empty when not) |
| `datashare/views.json` | the views it shared: id, member, name, dataset, policies, k, created_by, created_at, revoked_at |
| `datashare/access_log.csv` | who read them: view, view_name, accessed_by, accessed_at, kind, query, returned |
| `governance/votes.json` | `ballots`: its votes (proposal, title, voter, choice, sequence, by, cast_by, cast_at, salt; the salt recomputes the ballot's digest in the ledger); `proxies`: the proxies it gave or held |
| `ip/register.json` | IP register assets it owns or contributed to: assets (asset, versions: every field of each); recorded (as the ledger digests them) |
| `payouts/payouts.json` | its payouts and payout-currency choices (payouts, currency_choices), and as the ledger digests them (recorded, recorded_currency_choices) |
| `disputes/disputes.json` | disputes it is party to, with their evidence digests |
| `ledger/checkpoint.note` | the alliance log's signed checkpoint |
| `ledger/verifier-key.txt` | the alliance's ledger public key |
| `ledger/entries.jsonl` | every log entry that concerns the member: index, entry (its exact text), proof (inclusion in the checkpoint's tree) |

## Verifying offline
    alliance archive verify {file} --trusted-key '<the key the alliance published>'
Checked: the manifest's signature, every file's digest, every entry's inclusion proof, the member's
record, agreement versions (recomputed from their YAML) and signatures against the entries, the
statement lines against the signed manifest; a day whose statement holds only this member's lines
is recomputed in full with the platform's own function; a day shared with other members is proven
with the member's own lines, its salt and Merkle path against the members_root the day's entry
recorded at settlement. Only days settled before 2026-12-05 and shared with others rest on the
alliance's signature of the member's lines.
"""


def readme(alliance: str, member: str) -> str:
    name = f"{alliance}-{member}-archive.zip"
    return _ZH.format(alliance=alliance, member=member, file=name) + "\n---\n\n" + \
        _EN.format(alliance=alliance, member=member, file=name)


# Every file the format names is documented above (a test keeps it so).
DOCUMENTED = (fmt.MANIFEST, fmt.SIGNATURE, fmt.MEMBER, fmt.VERSIONS, fmt.JOURNAL, fmt.ORDER_LINES, fmt.VIEWS,
              fmt.ACCESS_LOG, fmt.VOTES, fmt.IP, fmt.PAYOUTS, fmt.DISPUTES, fmt.CHECKPOINT, fmt.KEY, fmt.ENTRIES)
