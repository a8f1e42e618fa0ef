"""The hub's own date formats (``FORMAT_MODULE_PATH``): a date or a time shown with no format of its
own (``{{ value }}``, ``|date``) reads as GOV.UK writes it, "11 July 2012" and "11 July 2012, 14:30",
not Django's en-GB "11 Jul 2012, 2:30 p.m." (issue 16). CSV exports format their own values
(SPEC.md) and are not touched."""
