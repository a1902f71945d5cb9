"""Storefront pages, one module per family: browse, product, shop, library, seo."""
