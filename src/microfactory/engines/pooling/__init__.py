"""Collaborative runs: pooling lines of several brands, and sharing the run's cost fairly."""

from microfactory.engines.pooling.games import (
    AdditiveSymmetricGame,
    AirportGame,
    RunCostGame,
    TableGame,
    airport_shapley,
)
from microfactory.engines.pooling.proposal import (
    OpenLine,
    ProposalParams,
    ProposedRun,
    RunOffer,
    RunProposal,
    propose_runs,
)
from microfactory.engines.pooling.runs import (
    OnFail,
    Run,
    RunEvent,
    RunLine,
    RunState,
    RunStatus,
    join_run,
    leave_run,
    resolve_run,
)
from microfactory.engines.pooling.shapley import (
    CostGame,
    ShapleyResult,
    shapley,
    shapley_exact,
    shapley_sampled,
)
from microfactory.engines.pooling.sharing import (
    BrandRunView,
    CostSharing,
    SharingParams,
    SharingRule,
    brand_view,
    run_game,
    share_run_cost,
)

__all__ = [
    "AdditiveSymmetricGame",
    "AirportGame",
    "BrandRunView",
    "CostGame",
    "CostSharing",
    "OnFail",
    "OpenLine",
    "ProposalParams",
    "ProposedRun",
    "Run",
    "RunCostGame",
    "RunEvent",
    "RunLine",
    "RunOffer",
    "RunProposal",
    "RunState",
    "RunStatus",
    "ShapleyResult",
    "SharingParams",
    "SharingRule",
    "TableGame",
    "airport_shapley",
    "brand_view",
    "join_run",
    "leave_run",
    "propose_runs",
    "resolve_run",
    "run_game",
    "shapley",
    "shapley_exact",
    "shapley_sampled",
    "share_run_cost",
]
