"""The Llama Ledger story: what it declares (the columns it reads, its views and pages) and the hooks
the builder looks up on it by name (builder/package/story.py finds this module).

The hooks live in modules by job and are imported here, so this module is the story's whole interface:
`check` (llama_rules.py), `views` (llama_views.py), `page_context` (the home and timeline pages,
llama_figures.py), the entity-page hooks (llama_entities.py), `index_context` (llama_lists.py) and
the share cards (llama_cards.py, read by builder/site/ogimage.py).
"""

from __future__ import annotations

from pathlib import Path

from builder.stories.llama_cards import card_figures, cards
from builder.stories.llama_entities import (
    DATA_KEYWORDS,
    INDEX_FILTERS,
    RELATED_HEADINGS,
    SEARCH_BOOST,
    cell_flags,
    search_keywords,
    summary,
)
from builder.stories.llama_figures import page_context
from builder.stories.llama_lists import index_context
from builder.stories.llama_rules import check
from builder.stories.llama_views import views

__all__ = [
    "DATA_KEYWORDS",
    "DIFF_HIGHLIGHTS",
    "INDEX_FILTERS",
    "PAGES",
    "RELATED_HEADINGS",
    "REQUIRES",
    "SEARCH_BOOST",
    "TEMPLATES",
    "VIEWS",
    "card_figures",
    "cards",
    "cell_flags",
    "check",
    "index_context",
    "page_context",
    "search_keywords",
    "summary",
    "views",
]

# The tables and columns the story's rules, views and pages read: checked before they run.
REQUIRES = {
    "claims": ["claim_id", "document_id", "quote", "verdict", "rationale"],
    "claim_evidence": ["claim_id", "source_id", "stance"],
    "people": ["person_id", "name", "status", "status_as_of", "llama_paper_position", "source_id"],
    "departures": ["departure_id", "person_id", "from_org_id", "to_org_id", "date", "date_precision", "confidence"],
    "releases": ["release_id", "model_id", "date", "date_precision", "event"],
    "models": ["model_id", "name", "developer_org_id", "family", "predecessor_id"],
    "organizations": ["org_id", "name", "founded", "founded_precision"],
    "sources": ["source_id", "title", "tier", "published"],
}
VIEWS = [
    "author_retention",
    "author_status",
    "departures_by_destination",
    "release_cadence",
    "source_usage",
    "timeline",
    "verdict_summary",
]

TEMPLATES = Path(__file__).parent / "templates" / "llama"
PAGES = {"index.md": "home.md.j2", "timeline.md": "timeline.md.j2"}

# Changes a reader of a diff should see first, in words (builder/history/diff.py): a claim's verdict,
# and where and when someone left.
DIFF_HIGHLIGHTS = {
    "claims": {"noun": "claim", "fields": ["verdict"]},
    "departures": {"noun": "departure of", "fields": ["to_org_id", "date"], "subject": "person_id"},
}
