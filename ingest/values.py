"""Parsing of source cell values. Each parser raises FieldError saying what it expected."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata

from ingest.records import FieldError

_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SCALE = {"K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
_PARAMS = re.compile(r"^~?\s*(\d+(?:\.\d+)?)\s*([KMBT])$", re.IGNORECASE)


def clean_text(value: str) -> str:
    """Strip control characters (they break OWL tools) and surrounding space.

    >>> clean_text(" GPT-3\\x00\\u200b 175B\\n")
    'GPT-3 175B'
    """
    if not value.isprintable():  # a printable string has no Cc or Cf character: most skip the scan
        value = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf") or ch in " \t")
    return _SPACES.sub(" ", value).strip()


def parse_number(text: str, *, positive: bool = True, allow_zero: bool = False) -> float:
    """A finite decimal or scientific number, as Epoch writes them.

    >>> parse_number("1.0692e+25")
    1.0692e+25
    >>> parse_number("1.2e")
    Traceback (most recent call last):
    ...
    ingest.records.FieldError: expected a number such as 175000000000.0 or 3.14e+23, got '1.2e'
    >>> parse_number("-3")
    Traceback (most recent call last):
    ...
    ingest.records.FieldError: expected a number above 0, got -3.0
    """
    text = text.strip()
    if not _NUMBER.match(text):
        raise FieldError(f"expected a number such as 175000000000.0 or 3.14e+23, got {text!r}")
    value = float(text)
    if not math.isfinite(value):
        raise FieldError(f"expected a finite number, got {text!r}")
    if positive and (value < 0 or (value == 0 and not allow_zero)):
        raise FieldError(f"expected a number {'of 0 or more' if allow_zero else 'above 0'}, got {value!r}")
    return value


def parse_count(text: str, *, allow_zero: bool = False) -> int:
    """A whole count. Float noise from spreadsheets (249000000.00000003) is rounded away.

    >>> parse_count("249000000.00000003")
    249000000
    >>> parse_count("100000.0")
    100000
    >>> parse_count("2.5")
    Traceback (most recent call last):
    ...
    ingest.records.FieldError: expected a whole number, got '2.5'
    """
    value = parse_number(text, allow_zero=allow_zero)
    rounded = round(value)
    if abs(value - rounded) > max(1e-6 * abs(value), 1e-6):
        raise FieldError(f"expected a whole number, got {text.strip()!r}")
    return int(rounded)


def parse_parameter_text(text: str) -> int:
    """BMList's parameter notation: '175B', '~1.5B', '1.6T', '340M'.

    >>> parse_parameter_text("175B")
    175000000000
    >>> parse_parameter_text("~1.5B")
    1500000000
    >>> parse_parameter_text("1.6T")
    1600000000000
    >>> parse_parameter_text("big")
    Traceback (most recent call last):
    ...
    ingest.records.FieldError: expected a parameter count such as '175B' or '~1.5B', got 'big'
    """
    match = _PARAMS.match(text.strip())
    if not match:
        raise FieldError(f"expected a parameter count such as '175B' or '~1.5B', got {text!r}")
    number, unit = match.groups()
    value = round(float(number) * _SCALE[unit.upper()])
    if value <= 0:
        raise FieldError(f"expected a parameter count above 0, got {text!r}")
    return value


def parse_date(text: str, latest: dt.date | None = None) -> dt.date:
    """An ISO date (Epoch) or a YYYY/MM/DD date (BMList), not after ``latest``.

    >>> parse_date("2020-05-28")
    datetime.date(2020, 5, 28)
    >>> parse_date("2021/01/11")
    datetime.date(2021, 1, 11)
    >>> parse_date("2020-02-30")
    Traceback (most recent call last):
    ...
    ingest.records.FieldError: expected a date as YYYY-MM-DD or YYYY/MM/DD, got '2020-02-30'
    """
    text = text.strip()
    try:
        value = dt.date.fromisoformat(text.replace("/", "-")) if re.match(r"^\d{4}[-/]\d{2}[-/]\d{2}$", text) else None
    except ValueError:
        value = None
    if value is None:
        raise FieldError(f"expected a date as YYYY-MM-DD or YYYY/MM/DD, got {text!r}")
    return _not_after(value, latest, text)


def parse_timestamp_date(text: str, latest: dt.date | None = None) -> dt.date:
    """The day of an ISO timestamp, as Epoch's 'Last modified' column writes it.

    >>> parse_timestamp_date("2024-09-05 18:08:31+00:00")
    datetime.date(2024, 9, 5)
    >>> parse_timestamp_date("yesterday")
    Traceback (most recent call last):
    ...
    ingest.records.FieldError: expected a timestamp such as 2024-09-05 18:08:31+00:00, got 'yesterday'
    """
    text = text.strip()
    try:
        value = dt.datetime.fromisoformat(text).date() if re.match(r"^\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        value = None
    if value is None:
        raise FieldError(f"expected a timestamp such as 2024-09-05 18:08:31+00:00, got {text!r}")
    return _not_after(value, latest, text)


_MONTHS = {name: number for number, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
_DAY_FIRST = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DAY_MONTH_NAME = re.compile(r"^(\d{1,2}) ([A-Za-z]+) (\d{4})(?: \d{1,2}:\d{2}\s*[ap]m)?$", re.IGNORECASE)


def parse_day_first_date(text: str, latest: dt.date | None = None) -> dt.date:
    """A day-first date as Epoch's benchmark tables write it: '24/1/2025', '17 November 2025 4:28pm',
    or an ISO date.

    >>> parse_day_first_date("24/1/2025"), parse_day_first_date("6/3/2025")
    (datetime.date(2025, 1, 24), datetime.date(2025, 3, 6))
    >>> parse_day_first_date("17 November 2025 4:28pm")
    datetime.date(2025, 11, 17)
    >>> parse_day_first_date("2025-05-22")
    datetime.date(2025, 5, 22)
    >>> parse_day_first_date("1/13/2025")
    Traceback (most recent call last):
    ...
    ingest.records.FieldError: expected a day-first date such as 24/1/2025 or 17 November 2025, got '1/13/2025'
    """
    text = text.strip()
    value = None
    try:
        if match := _DAY_FIRST.match(text):
            day, month, year = (int(g) for g in match.groups())
            value = dt.date(year, month, day)
        elif (match := _DAY_MONTH_NAME.match(text)) and match.group(2).lower() in _MONTHS:
            value = dt.date(int(match.group(3)), _MONTHS[match.group(2).lower()], int(match.group(1)))
        elif re.match(r"^\d{4}-\d{2}-\d{2}$", text):
            value = dt.date.fromisoformat(text)
    except ValueError:
        value = None
    if value is None:
        raise FieldError(f"expected a day-first date such as 24/1/2025 or 17 November 2025, got {text!r}")
    return _not_after(value, latest, text)


def _not_after(value: dt.date, latest: dt.date | None, text: str) -> dt.date:
    if latest is not None and value > latest:
        raise FieldError(f"expected a date not after {latest.isoformat()}, got {text!r}")
    return value


def parse_bool(text: str) -> bool:
    """
    >>> parse_bool("True"), parse_bool("false")
    (True, False)
    """
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    raise FieldError(f"expected True or False, got {text!r}")


def split_list(text: str) -> list[str]:
    """Split a comma-separated cell, keeping commas inside parentheses.

    >>> split_list("Language,Vision, Multimodal")
    ['Language', 'Vision', 'Multimodal']
    >>> split_list("BookCorpus (BooksCorpus, Toronto Book Corpus),Wikipedia")
    ['BookCorpus (BooksCorpus, Toronto Book Corpus)', 'Wikipedia']
    >>> split_list("")
    []
    """
    items, depth, current = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
        if ch == "," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return [cleaned for item in items if (cleaned := clean_text(item))]


def parse_url(text: str) -> str:
    """
    >>> parse_url(" https://arxiv.org/abs/2005.14165 ")
    'https://arxiv.org/abs/2005.14165'
    >>> parse_url("see paper")
    Traceback (most recent call last):
    ...
    ingest.records.FieldError: expected an http(s) URL, got 'see paper'
    """
    text = text.strip()
    if not re.match(r"^https?://[^\s<>\"{}|\\^`]+$", text):
        raise FieldError(f"expected an http(s) URL, got {text!r}")
    return text


_URL = re.compile(r"https?://[^\s<>\"{}|\\^`,;]+")


def find_urls(text: str) -> list[str]:
    """Every http(s) URL in a cell that mixes links with words.

    >>> find_urls("https://arxiv.org/abs/2311.16867; https://www.tii.ae/news (blog)")
    ['https://arxiv.org/abs/2311.16867', 'https://www.tii.ae/news']
    >>> find_urls("techpowerup.com/gpu-specs")
    Traceback (most recent call last):
    ...
    ingest.records.FieldError: expected at least one http(s) URL, got 'techpowerup.com/gpu-specs'
    """
    urls = [url.rstrip(".)") for url in _URL.findall(text)]
    if not urls:
        raise FieldError(f"expected at least one http(s) URL, got {text.strip()!r}")
    return urls


_ARXIV = re.compile(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})(?:v\d+)?", re.IGNORECASE)


def arxiv_id(url: str) -> str | None:
    """The arXiv id in an arxiv.org link, without version.

    >>> arxiv_id("https://arxiv.org/abs/2005.14165v4")
    '2005.14165'
    >>> arxiv_id("https://openai.com/blog") is None
    True
    """
    match = _ARXIV.search(url)
    return match.group(1) if match else None
