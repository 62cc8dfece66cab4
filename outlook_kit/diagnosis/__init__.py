"""Name the cause of an Outlook SMTP failure, and the fix.

`diagnose()` reads a `ProbeReport` or an error text as any client prints it, with an
optional stage and `Context`, and returns a `Diagnosis` value. The knowledge lives in
`catalogue.toml` (one entry per category: patterns, meaning, fix, guide step, sources);
this package only parses the input and scores the catalogue's patterns against it. No I/O
beyond reading the catalogue once.

Scoring: each pattern names conditions (a text regex, reply codes, enhanced codes,
stages, context answers) and a weight. A category scores the weight of its best matching
pattern; the top category wins, the others that matched become ranked alternatives, each
with its reason. Context outweighs text where text cannot decide (a bare 535 5.7.139 means
one thing with the regular password and another with an App Password).

Modules: `values` (Category, Context, Diagnosis), `catalogue` (reading catalogue.toml),
`reading` (codes and stage out of any wrapper), `scoring` (`diagnose`).
"""

from .catalogue import Entry, Pattern, catalogue
from .reading import Parsed, parse_error, to_stage
from .scoring import diagnose, explain_code
from .values import Alternative, Arrived, Category, Confidence, Context, Diagnosis

__all__ = [
    "Alternative",
    "Arrived",
    "Category",
    "Confidence",
    "Context",
    "Diagnosis",
    "Entry",
    "Parsed",
    "Pattern",
    "catalogue",
    "diagnose",
    "explain_code",
    "parse_error",
    "to_stage",
]
