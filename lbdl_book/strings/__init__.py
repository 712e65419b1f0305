"""The string catalogue of lbdl_book.i18n, one module per chapter (see i18n.py)."""
