"""Production planning: batches, changeovers, skilled workers and calendars, scheduled with CP-SAT.

Public API: the problem types, :func:`form_batches`, :func:`plan_site` (CP-SAT + LNS with a
dispatch warm start), :func:`dispatch_schedule` (EDD/SPT/FIFO/MWKR baselines),
:func:`check_schedule` (independent feasibility checker), :func:`solve_jobshop` (makespan
entry point for benchmark job shops) and :func:`generate_site` (seeded test sites).
"""

from microfactory.engines.scheduling.batching import BatchFormation, BatchRules, form_batches
from microfactory.engines.scheduling.bottleneck import (
    BottleneckReport,
    Candidate,
    Utilisation,
    bottlenecks,
    utilisation,
)
from microfactory.engines.scheduling.checker import check_schedule
from microfactory.engines.scheduling.fanout import plan_sites
from microfactory.engines.scheduling.gantt import gantt_data, gantt_svg
from microfactory.engines.scheduling.generator import SiteSpec, generate_site, site_calendar
from microfactory.engines.scheduling.jobshop import JobShop, JobShopResult, solve_jobshop
from microfactory.engines.scheduling.problem import (
    Batch,
    Changeover,
    ChangeoverTable,
    Downtime,
    Interval,
    Line,
    OpSpec,
    Resource,
    Schedule,
    ScheduledOp,
    ScheduleParams,
    SchedulingProblem,
    Worker,
)
from microfactory.engines.scheduling.replan import (
    BatchRejected,
    Event,
    MachineDown,
    Move,
    Replan,
    RushOrder,
    WorkerAbsent,
    replan,
)
from microfactory.engines.scheduling.site import dispatch_schedule, plan_site

__all__ = [
    "Batch", "BatchFormation", "BatchRejected", "BatchRules", "BottleneckReport", "Candidate", "Changeover",
    "ChangeoverTable", "Downtime", "Event", "Interval", "JobShop", "JobShopResult", "Line", "MachineDown",
    "Move", "OpSpec", "Replan", "Resource", "RushOrder", "Schedule", "ScheduleParams", "ScheduledOp",
    "SchedulingProblem", "SiteSpec", "Utilisation", "Worker", "WorkerAbsent", "bottlenecks",
    "check_schedule", "dispatch_schedule", "form_batches", "gantt_data", "gantt_svg", "generate_site",
    "plan_site", "plan_sites", "replan", "site_calendar", "solve_jobshop", "utilisation",
]
