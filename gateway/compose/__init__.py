"""Apollo Federation v2 composition: subgraph SDLs → supergraph SDL.

``compose`` follows the rules of Apollo's reference composer (``@apollo/composition``)
and raises :class:`CompositionError` (a list of :class:`CompositionIssue` with stable
``code`` values) when the subgraphs do not compose.
"""

from .compose import Subgraph, compose
from .errors import CompositionError, CompositionIssue

__all__ = ["CompositionError", "CompositionIssue", "Subgraph", "compose"]
