"""The station's calendar on the simulation clock: local time of day, weekdays, day-shift windows, duty days.

Simulated time is seconds since the scenario start (iface4); shifts are defined in local wall-clock time of the
scenario's `start` offset, so the calendar converts between the two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from .config import ShiftConfig, clock_s

DAY_S = 86400.0


@dataclass(frozen=True)
class Calendar:
    """Local-time arithmetic for one scenario start and one shift pattern."""

    start_tod_s: float  # local time of day at t = 0
    start_weekday: int  # Monday = 0 at t = 0
    shift_start_s: float
    lunch_start_s: float
    lunch_end_s: float
    shift_end_s: float
    duty_change_s: float
    weekend_work: bool = False

    @classmethod
    def of(cls, start: datetime, shift: ShiftConfig) -> "Calendar":
        tod = start.hour * 3600.0 + start.minute * 60.0 + start.second + start.microsecond * 1e-6
        return cls(
            start_tod_s=tod,
            start_weekday=start.weekday(),
            shift_start_s=clock_s(shift.start),
            lunch_start_s=clock_s(shift.lunch_start),
            lunch_end_s=clock_s(shift.lunch_end),
            shift_end_s=clock_s(shift.end),
            duty_change_s=clock_s(shift.duty_change),
            weekend_work=shift.weekend_work,
        )

    # -- conversions -------------------------------------------------------------------------------------------
    def day_of(self, t_s: float) -> int:
        """Local day index (day 0 holds t = 0; negative before)."""
        return math.floor((self.start_tod_s + t_s) / DAY_S)

    def tod(self, t_s: float) -> float:
        """Local time of day in seconds."""
        return (self.start_tod_s + t_s) % DAY_S

    def at(self, day: int, tod_s: float) -> float:
        """Simulation time of local day `day` at time of day `tod_s`."""
        return day * DAY_S + tod_s - self.start_tod_s

    def weekday(self, day: int) -> int:
        return (self.start_weekday + day) % 7

    def is_workday(self, day: int) -> bool:
        return self.weekend_work or self.weekday(day) < 5

    # -- day shift ---------------------------------------------------------------------------------------------
    def windows(self, day: int) -> tuple[tuple[float, float], ...]:
        """The day shift's working windows (morning, afternoon) of a day, in simulation seconds; () if no work."""
        if not self.is_workday(day):
            return ()
        return (
            (self.at(day, self.shift_start_s), self.at(day, self.lunch_start_s)),
            (self.at(day, self.lunch_end_s), self.at(day, self.shift_end_s)),
        )

    def in_shift(self, t_s: float) -> bool:
        return any(a <= t_s < b for a, b in self.windows(self.day_of(t_s)))

    def next_work_time(self, t_s: float) -> float:
        """t_s itself when inside a day-shift window, else the start of the next window."""
        day = self.day_of(t_s)
        for d in range(day, day + 8):
            for a, b in self.windows(d):
                if t_s < b:
                    return max(t_s, a)
        return t_s  # no workday within a week (cannot happen with weekday shifts)

    def shift_end_of(self, t_s: float) -> float:
        """End of the day shift on the day of t_s."""
        return self.at(self.day_of(t_s), self.shift_end_s)

    # -- duty rota ---------------------------------------------------------------------------------------------
    def duty_day(self, t_s: float) -> int:
        """Index of the 24 h duty period holding t_s (periods begin at the duty change time)."""
        return math.floor((self.tod_shifted(t_s)) / DAY_S)

    def tod_shifted(self, t_s: float) -> float:
        return self.start_tod_s + t_s - self.duty_change_s

    def duty_start(self, period: int) -> float:
        return self.at(period, self.duty_change_s)
