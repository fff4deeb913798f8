"""What a ``--store`` text names -- a folder (SQLite) or a PostgreSQL URL -- and how a URL is shown in messages
(without its password).  The one check the CLI and the backend share: a text holding ``://`` is a URL, and a URL
whose scheme is not one psycopg accepts is refused, never read as a folder named ``postgressql:``."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from nextgpt.core.errors import StoreError

#: the schemes libpq accepts (it compares them case-sensitively)
URL_SCHEMES = ("postgresql://", "postgres://")
EXPECTED_URL = "postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
_HIDDEN = "***"


def is_postgres_url(location: object) -> bool:
    """Whether ``location`` is a PostgreSQL URL; StoreError for a text holding ``://`` with another scheme."""
    if not isinstance(location, str) or "://" not in location:
        return False
    if location.startswith(URL_SCHEMES):
        return True
    scheme, rest = location.split("://", 1)
    hint = (f"; write the scheme in lower case: {redacted(f'{scheme.lower()}://{rest}')}"
            if f"{scheme.lower()}://" in URL_SCHEMES else "")
    raise StoreError(f"--store {redacted(location)}: unsupported URL scheme {scheme!r}; a results store is a folder "
                     f"or a PostgreSQL URL {EXPECTED_URL} (scheme postgresql:// or postgres://){hint}")


def redacted(url: str) -> str:
    """The URL without its password, in the user part and in a ``password=`` query parameter (for messages)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # a malformed URL (a bad port, brackets): shown with everything after the scheme hidden
        return url.split("://", 1)[0] + "://" + _HIDDEN
    netloc = parts.netloc
    if password is not None:
        user_part, host_part = netloc.rsplit("@", 1)
        netloc = f"{user_part.split(':', 1)[0]}:{_HIDDEN}@{host_part}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(key.lower() in ("password", "sslpassword") for key, _ in pairs):
            query = urlencode([(key, _HIDDEN if key.lower() in ("password", "sslpassword") else value)
                               for key, value in pairs], safe="*")
    return urlunsplit(parts._replace(netloc=netloc, query=query))
