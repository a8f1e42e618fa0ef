"""GOV.UK dates and times should the language ever be plain "en" (``core/formats/__init__.py``)."""

from safeguarding.core.formats.en_GB.formats import *  # noqa: F403
