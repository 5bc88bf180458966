"""A Datasette facet type that counts ISO 8601 times by month, e.g. 2015-09."""

from __future__ import annotations

from typing import Any

# Imported by full module path: the project's own datasette/ folder would otherwise make
# `from datasette import ...` look first-party to import sorters.
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.hookspecs import hookimpl
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

# Times are stored as 2015-09-04T09:45:00+01:00, so the month is the first seven characters.
_ISO_MONTH = "[0-9][0-9][0-9][0-9]-[0-9][0-9]*"


class MonthFacet(Facet):  # type: ignore[misc]
    """Configured as `{"month": "posted_at"}`; choosing a month filters with `__startswith`."""

    type = "month"

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            col = escape_sqlite(column)
            # Newest months first: a timeline reads better than months ranked by size.
            sql = (f"select substr({col}, 1, 7) as value, count(*) as count from ({self.sql}) "
                   f"where {col} glob '{_ISO_MONTH}' group by value order by value desc "
                   f"limit {size + 1}")
            try:
                rows = await self.ds.execute(
                    self.database, sql, self.params, truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"))
            except QueryInterrupted:
                timed_out.append(column)
                continue
            key = f"{column}__startswith"
            values = []
            for row in rows.rows[:size]:
                selected = args.get(key) == row["value"]
                change = path_with_removed_args if selected else path_with_added_args
                values.append({
                    "value": row["value"], "label": row["value"], "count": row["count"],
                    "selected": selected,
                    "toggle_url": self.ds.absolute_url(
                        self.request, change(self.request, {key: row["value"]})),
                })
            results.append({
                "name": column, "type": self.type, "results": values,
                "hideable": source_and_config["source"] != "metadata",
                "toggle_url": path_with_removed_args(self.request, {"_facet_month": column}),
                "truncated": len(rows) > size,
            })
        return results, timed_out


@hookimpl  # type: ignore[misc]
def register_facet_classes() -> list[type[Facet]]:
    return [MonthFacet]
