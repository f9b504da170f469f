from __future__ import annotations

from django.db import models


class CalendarDay(models.Model):
    """A day that departs from the Monday-to-Friday rule of the civil service.

    ``holiday``: a weekday off (public holiday, Tết, compensatory day off).
    ``working``: a weekend day worked to make up for a bridged holiday (ngày làm bù).
    Holidays are data decided each year by the government, not code.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "Holiday"
        WORKING = "working", "Make-up working day"

    date = models.DateField(unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.kind} {self.name}"
