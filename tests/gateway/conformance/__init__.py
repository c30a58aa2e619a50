"""Small federated subgraphs, one module per conformance area, and the harness serving them."""
