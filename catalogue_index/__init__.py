"""Orienta's catalogue: offer storage, embeddings, the vector and lexical indexes, search."""
