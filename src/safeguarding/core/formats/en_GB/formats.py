"""GOV.UK dates and times for the hub's language, en-GB (``core/formats/__init__.py``)."""

DATE_FORMAT = "j F Y"  # 11 July 2012
DATETIME_FORMAT = "j F Y, H:i"  # 11 July 2012, 14:30
TIME_FORMAT = "H:i"  # 14:30
SHORT_DATE_FORMAT = "j F Y"
SHORT_DATETIME_FORMAT = "j F Y, H:i"
MONTH_DAY_FORMAT = "j F"  # 11 July
YEAR_MONTH_FORMAT = "F Y"  # July 2012
