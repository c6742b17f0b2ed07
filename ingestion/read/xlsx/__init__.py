"""XLSX books filled in by people (school/municipality uploads, ФИС ОКО exports):
workbook.py opens the book (cell values with python-calamine; broken books, error cells,
formulas without a value and zero-padding formats from the zip), locate.py finds the sheet
and the header, rows.py turns the data rows into frames of strings, cells.py shows cell
values as Excel does."""

from ingestion.read.xlsx.locate import XlsxHeader, locate, read_xlsx_header
from ingestion.read.xlsx.rows import iter_xlsx_frames, xlsx_frames
from ingestion.read.xlsx.workbook import Book

__all__ = ["Book", "XlsxHeader", "iter_xlsx_frames", "locate", "read_xlsx_header", "xlsx_frames"]
