"""The astro command and what it runs: the application layer above the shared core, the subgraphs and the gateway."""
