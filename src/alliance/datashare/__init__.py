"""Data sharing (数据共享): members publish views of their data under per-field policies.

`views` is the pure part (policies, query checks, cursors); `service` publishes, lists, revokes,
answers queries from the fact store and logs every one of them. See docs/data-sharing.md.
"""
