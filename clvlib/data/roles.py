"""The roles of the clean log's columns, and how a source's column names are mapped to them.

A role is matched by its name folded (case, spaces, underscores and hyphens ignored) or named
by the caller's ``columns``; other names a role often goes by are only suggested in error
messages, never mapped silently.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ROLES"]

ROLES: tuple[str, ...] = (
    "customer_id",
    "timestamp",
    "order_id",
    "quantity",
    "unit_price",
    "amount",
    "cost",
    "unit_cost",
    "margin",
    "channel",
    "country",
    "discounted",
    "product_id",
)
_NUMERIC_ROLES = ("quantity", "unit_price", "amount", "cost", "unit_cost", "margin")
_PASS_THROUGH = ("channel", "country", "discounted", "product_id")
_ID_ROLES = ("customer_id", "order_id", "product_id")

# Other names a role often goes by: used only to suggest a column in error messages, never to
# map one silently (a wrong guess would load wrong numbers without a word).
_ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": ("customer", "customerid", "client", "clientid", "userid", "custid", "buyer"),
    "timestamp": ("date", "datetime", "time", "invoicedate", "orderdate", "purchasedate"),
    "order_id": ("order", "orderid", "invoice", "invoiceno", "transaction", "transactionid"),
    "quantity": ("qty", "units", "quantity", "count"),
    "unit_price": ("price", "unitprice", "priceeach"),
    "amount": ("amount", "value", "revenue", "sales", "total", "linetotal"),
    "product_id": ("product", "sku", "item", "stockcode", "article"),
}


def _norm(name: object) -> str:
    """Column name folded for matching: case, spaces, underscores and hyphens ignored."""
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


def _closest(role: str, names: Iterable[object]) -> list[str]:
    """Up to three source columns that look like ``role`` (for error messages)."""
    # A column named after another role (or one of its aliases) is that role's: never
    # propose 'order_id' for customer_id because both end in "id".
    others = {_norm(r) for r in ROLES if r != role}
    others |= {a for r, aliases in _ALIASES.items() if r != role for a in aliases}
    others -= {_norm(role), *_ALIASES.get(role, ())}
    by_norm = {_norm(n): str(n) for n in names if _norm(n) not in others}
    found: list[str] = []
    for key in (_norm(role), *_ALIASES.get(role, ())):
        for match in difflib.get_close_matches(key, by_norm, n=3, cutoff=0.6):
            found.append(by_norm[match])
        found += [orig for norm, orig in by_norm.items() if key in norm and len(key) >= 4]
    return list(dict.fromkeys(found))[:3]


def _suggest(role: str, names: Iterable[object]) -> str:
    close = _closest(role, names)
    if not close:
        return "no similar column"
    return (
        "closest: "
        + ", ".join(repr(c) for c in close)
        + (f" (pass columns={{{role!r}: {close[0]!r}}})")
    )


def _resolve_columns(
    names: list[object], columns: Mapping[str, str] | None
) -> tuple[dict[str, str], list[str]]:
    """Map roles to source columns: explicit ``columns`` first, then by folded name."""
    mapping: dict[str, str] = {}
    problems: list[str] = []
    given = dict(columns or {})
    present = {str(n) for n in names}
    for role, col in given.items():
        if role not in ROLES:
            problems.append(f"unknown role {role!r} in columns; roles are {', '.join(ROLES)}")
        elif str(col) not in present:
            problems.append(
                f"columns maps {role!r} to {col!r}, which is not a column; {_suggest(role, names)}"
            )
        else:
            mapping[role] = str(col)
    used = set(mapping.values())
    for role in ROLES:
        if role in given:
            continue
        hits = [str(n) for n in names if _norm(n) == _norm(role) and str(n) not in used]
        if len(hits) > 1:
            problems.append(
                f"several columns could be {role!r}: {hits}; choose one with columns={{...}}"
            )
        elif hits:
            mapping[role] = hits[0]
    for role in ("customer_id", "timestamp"):
        if role not in mapping and role not in given:
            problems.append(f"missing required column {role!r}; {_suggest(role, names)}")
    has_value = "amount" in mapping or ("quantity" in mapping and "unit_price" in mapping)
    value_roles = ("amount", "quantity", "unit_price")
    misnamed = any(r in given and r not in mapping for r in value_roles)  # reported above
    if not has_value and not misnamed:
        missing = [r for r in ("quantity", "unit_price") if r not in mapping]
        hints = "; ".join(f"{r}: {_suggest(r, names)}" for r in ("amount", *missing))
        problems.append(
            "no way to compute the line value: need an 'amount' column, or both "
            f"'quantity' and 'unit_price' (missing {', '.join(missing)}); {hints}"
        )
    return mapping, problems


def _pandas_read_options(names: list[object], columns: Mapping[str, str] | None) -> dict[str, Any]:
    """Options of pandas' ``read_csv`` / ``read_excel`` that hand the loader the text written.

    Id and number columns are read as text: pandas would make "0001" the id 1, "1.500" in a
    semicolon file the number 1.5 and "1,234.50" a float or an object, before clvlib could see
    which convention the column is written in (:mod:`clvlib.data.values` reads them). Only an
    empty cell is missing: pandas' missing-value words ("NA", "N/A", "null", "None", ...) are
    values (a customer "NA", Namibia's country code).
    """
    mapping, _ = _resolve_columns(names, columns)
    as_text = {mapping[r]: "str" for r in (*_ID_ROLES, *_NUMERIC_ROLES) if r in mapping}
    return {"dtype": as_text, "keep_default_na": False, "na_values": [""]}
