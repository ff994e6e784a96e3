"""Plain-Python core of Llama Desk. Nothing in this package may import Qt."""
