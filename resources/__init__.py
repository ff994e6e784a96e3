"""Data files shipped with Llama Desk (catalog, icons, licences)."""
