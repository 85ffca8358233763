"""Money in CNY: exact decimals, never binary floating point."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # fits DecimalField(max_digits=14, decimal_places=2)


class MoneyError(ValueError):
    pass


def parse(raw: object) -> Decimal:
    """A decimal string or JSON number (parsed from its text, see exchange.loads) to Decimal.

    Refuses floats that reached us as Python floats, negatives, more than two decimals,
    NaN and infinities.
    """
    if isinstance(raw, bool) or raw is None:
        raise MoneyError("must be a decimal amount")
    if isinstance(raw, float):
        raise MoneyError("must be parsed exactly, not as a binary float")
    if isinstance(raw, Decimal | int):
        value = Decimal(raw)
    elif isinstance(raw, str):
        text = raw.strip().replace(",", "").replace("，", "")
        for mark in ("¥", "￥", "CNY", "RMB", "人民币", "元"):
            text = text.replace(mark, "")
        text, scale = (text[:-1], 10000) if text.endswith("万") else (text, 1)  # 30万 = 300,000
        try:
            value = Decimal(text.strip()) * scale
        except InvalidOperation:
            raise MoneyError(f"{raw!r} is not a decimal amount") from None
    else:
        raise MoneyError("must be a decimal amount")
    if not value.is_finite():
        raise MoneyError("must be a finite amount")
    if value < 0:
        raise MoneyError(f"{value} is negative")
    if value > MAX_AMOUNT:  # before quantize, which cannot represent huge values
        raise MoneyError(f"{value} is larger than {MAX_AMOUNT}")
    if value != value.quantize(CENT, rounding=ROUND_HALF_UP):
        raise MoneyError(f"{value} has more than two decimals")
    return value.quantize(CENT)


def fmt(value: Decimal) -> str:
    """Exchange-format string: two decimals, no grouping."""
    return str(value.quantize(CENT))


def format_cny(amount: Decimal) -> str:
    """An amount as people read it in a sentence: 1,200,000 or 12,000.50 (cents only when there are some)."""
    if isinstance(amount, float):
        raise TypeError("money is Decimal, never float")
    amount = Decimal(amount)
    if amount == amount.to_integral_value():
        return f"{amount:,.0f}"
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):,}"
