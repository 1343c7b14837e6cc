"""Printed documents (receipts, forms): fonts, layout with ReportLab."""
