"""Catalogue ingestion: partners deliver their catalogue as ONIX 3.0 or CSV.

The readers (:mod:`.onix`, :mod:`.csv_format`) stream a file into neutral
:class:`.records.CatalogRecord` objects with per-record errors; :mod:`.upsert`
writes one record into products, variants, books, contributors, topics and
rights; :mod:`.engine` runs a whole delivery as one transaction; and
:mod:`.services` keeps the :class:`catalog.models.ImportJob` that portal, API,
admin and command line share.
"""
