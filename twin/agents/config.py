"""Scenario sections that size the population and set behaviour rates (validated with pydantic)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PopulationConfig(_Strict):
    """How many officers of each role, how many dossiers are active at the start, vehicles in the car park."""

    case_officers: int = Field(80, ge=1)
    legal_officers: int = Field(10, ge=1)
    dossier_keepers: int = Field(4, ge=1)
    evidence_keepers: int = Field(3, ge=1)
    leaders: int = Field(6, ge=1)
    duty_officers: int = Field(20, ge=1)
    active_dossiers: int = Field(3000, ge=0)
    volumes_per_case_mean: float = Field(1.4, ge=1.0)
    items_per_case_mean: float = Field(0.8, ge=0.0)
    vehicles: int = Field(12, ge=0)
    walking_speed_mps: tuple[float, float] = (1.1, 1.5)

    @property
    def officers(self) -> int:
        return (
            self.case_officers
            + self.legal_officers
            + self.dossier_keepers
            + self.evidence_keepers
            + self.leaders
            + self.duty_officers
        )


class BehaviourConfig(_Strict):
    """Arrival rates, case mix and misbehaviour rates (each occurrence becomes a ground-truth anomaly)."""

    cases_per_day: float = Field(40.0, ge=0)
    criminal_share: float = Field(0.35, ge=0, le=1)
    late_share: float = Field(0.05, ge=0, le=1)
    dossier_uses_per_officer_day: float = Field(2.0, ge=0)
    left_in_car_rate: float = Field(0.002, ge=0, le=1)
    drawer_rate: float = Field(0.005, ge=0, le=1)
    misfile_rate: float = Field(0.005, ge=0, le=1)
    forget_rate: float = Field(0.002, ge=0, le=1)
    separated_rate: float = Field(0.003, ge=0, le=1)
    unrecorded_handover_rate: float = Field(0.01, ge=0, le=1)
    inventory_sweeps_per_day: int = Field(1, ge=0)
