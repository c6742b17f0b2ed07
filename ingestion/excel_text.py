"""Text written into Excel workbooks stays text.

File names, values and messages in our workbooks (feedback reports, templates) can come
from uploads: a file named «=1+1.xlsx» or a cell «=HYPERLINK(…)» must never become a live
formula in a workbook someone opens.
"""

from __future__ import annotations

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_text(cell):
    """Mark a cell holding a string as text (data type 's'); a string that Excel would take
    for a formula also gets the quote prefix (shown as typed text, like a leading ')."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if cell.value.startswith(_FORMULA_START):
            cell.quotePrefix = True
    return cell
