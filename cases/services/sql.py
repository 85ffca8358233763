"""Writing many rows at once where the ORM's bulk tools are slow."""

from __future__ import annotations

from django.db import connection


def execute_update(
    model, fields: tuple[str, ...], rows: list[tuple], *, unless: tuple[str, object] | None = None
) -> None:
    """One parameterised UPDATE run for many rows: each row is the new values of `fields`, then the pk.

    bulk_update builds a CASE expression per field over the whole batch, which took about 20 s
    for 20,000 cases on SQLite; executemany takes well under one. Fields may be named by their
    attribute (`person_id`) or their name (`person`). `unless=(field, value)` leaves alone the rows
    whose field holds that value when the UPDATE runs (a case rejected meanwhile stays rejected).
    """
    if not rows:
        return
    meta, quote = model._meta, connection.ops.quote_name
    targets = [meta.get_field(f.removesuffix("_id")) for f in fields]
    columns = ", ".join(f"{quote(field.column)} = %s" for field in targets)
    sql = f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(meta.pk.column)} = %s"
    guard = []
    if unless is not None:
        field = meta.get_field(unless[0])
        sql += f" AND NOT ({quote(field.column)} = %s)"
        guard = [field.get_db_prep_save(unless[1], connection)]
    # Values as the database stores them: decimals, aware datetimes and keys, as the ORM would send them.
    prepared = [
        [field.get_db_prep_save(value, connection) for field, value in zip(targets, row[:-1], strict=True)]
        + [row[-1], *guard]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)
