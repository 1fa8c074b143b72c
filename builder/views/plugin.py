"""The story plugin API: everything a package's story (builder/stories/) takes from the builder.

A story imports from the builder only this module (and its own sibling modules), never a stage
module, so that the stages can move without touching the stories. It holds:

- `View`, `precision_column`: the shape of a derived view and the name of a date's precision column;
- `Problem`, `ROW`, `numbered`, `resources`: what a story's rules report, and how they number rows and
  find each table's file;
- `format_date`: a date in words, as exactly as it is known;
- `charts`: the SVG chart drawing module;
- `INDEX_PAGE_ROWS`: rows on one page of a list, which a story's long lists also follow.
"""

from __future__ import annotations

from builder.check.rules import ROW, numbered
from builder.common.dates import format_date
from builder.common.errors import Problem
from builder.package.load import resources
from builder.views import charts
from builder.views.derive import View, precision_column

# No page grows with the package: an index of more rows than this is split into numbered pages
# (table/, table/pages/2/, …) by builder/site/render.py, and a story's long list shows its first this many.
INDEX_PAGE_ROWS = 100

__all__ = ["INDEX_PAGE_ROWS", "ROW", "Problem", "View", "charts", "format_date", "numbered", "precision_column", "resources"]
