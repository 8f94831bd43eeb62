"""Discrete-event simulation of a microfactory network, scenario files and what-if sweeps on Dask."""

from microfactory.simulation.arrivals import SimLine, SimOrder, day_rates, orders_of_day
from microfactory.simulation.candidates import (
    Candidate,
    CandidateFile,
    DesignSettings,
    candidate_site,
)
from microfactory.simulation.clock import StepClock
from microfactory.simulation.events import Event, EventQueue, TraceRow
from microfactory.simulation.model import Simulator, simulate
from microfactory.simulation.outages import Outage, machine_downtime, site_outages
from microfactory.simulation.planning import DayPlan, WorkItem, plan_day
from microfactory.simulation.qc import QcOutcome, inspect_batch
from microfactory.simulation.results import (
    SimResult,
    SolverCall,
    kpi_csv,
    kpi_view,
    write_trace_csv,
)
from microfactory.simulation.scenario import (
    Campaign,
    Centralise,
    DemandParams,
    ForcedOutage,
    OutageParams,
    PlanningParams,
    PolicyParams,
    QualityParams,
    ReturnParams,
    ScenarioSpec,
    load_spec,
    spec_from_dict,
    with_overrides,
)
from microfactory.simulation.simnet import SimProduct, SimSite, centralise, sim_products, sim_sites

__all__ = [
    "Campaign",
    "Candidate",
    "CandidateFile",
    "Centralise",
    "DayPlan",
    "DemandParams",
    "DesignSettings",
    "Event",
    "EventQueue",
    "ForcedOutage",
    "Outage",
    "OutageParams",
    "PlanningParams",
    "PolicyParams",
    "QcOutcome",
    "QualityParams",
    "ReturnParams",
    "ScenarioSpec",
    "SimLine",
    "SimOrder",
    "SimProduct",
    "SimResult",
    "SimSite",
    "Simulator",
    "SolverCall",
    "StepClock",
    "TraceRow",
    "WorkItem",
    "candidate_site",
    "centralise",
    "day_rates",
    "inspect_batch",
    "kpi_csv",
    "kpi_view",
    "load_spec",
    "machine_downtime",
    "orders_of_day",
    "plan_day",
    "sim_products",
    "sim_sites",
    "simulate",
    "site_outages",
    "spec_from_dict",
    "with_overrides",
    "write_trace_csv",
]
