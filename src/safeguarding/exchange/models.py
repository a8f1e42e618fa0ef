"""A record of every extract imported, and every row rejected or value set aside, so that
rejections can be fixed and re-imported and nothing is silently dropped."""

from __future__ import annotations

from django.db import models


class ImportStatus(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    # Its process ended before the import did (killed, or the machine restarted): found by the
    # next import or listing, as a killed process cannot say so itself.
    INTERRUPTED = "interrupted", "Interrupted"


class ImportRun(models.Model):
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    source_path = models.TextField()
    status = models.CharField(max_length=20, choices=ImportStatus.choices, default=ImportStatus.RUNNING)
    initiated_by = models.CharField(max_length=200, help_text="who ran the import (user name or 'command line')")
    # Per-file counts: {"people.csv": {"rows": n, "created": n, "updated": n, "unchanged": n, "rejected": n}, ...}
    counts = models.JSONField(default=dict)
    failure = models.TextField(blank=True, help_text="why the whole import stopped, if it did")
    # The process doing the import, so that a run whose process is gone can be told from one
    # still running.
    pid = models.PositiveIntegerField(null=True, blank=True)
    host = models.CharField(max_length=255, blank=True)
    process_started_at = models.DateTimeField(null=True, blank=True, help_text="when the importing process started")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.source_path}"


class IssueSeverity(models.TextChoices):
    REJECTED = "rejected", "Row rejected"
    WARNING = "warning", "Value set aside (row kept)"


class ImportIssue(models.Model):
    run = models.ForeignKey(ImportRun, on_delete=models.PROTECT, related_name="issues")
    file_name = models.CharField(max_length=100)
    line_number = models.PositiveIntegerField(help_text="line in the file, the header being line 1")
    severity = models.CharField(max_length=10, choices=IssueSeverity.choices)
    column = models.CharField(max_length=100, blank=True)
    reason = models.TextField()
    row = models.JSONField(default=dict, help_text="the row as it was in the file")

    class Meta:
        ordering = ["run", "file_name", "line_number"]
        indexes = [models.Index(fields=["run", "severity"])]

    def __str__(self) -> str:
        return f"{self.file_name} line {self.line_number}: {self.reason}"
