"""Quality engine: sampling plans, switching rules, inspections, drift and site scores."""

from microfactory.engines.quality.drift import (
    BatchSample,
    ChartParams,
    ChartPoint,
    DriftAlert,
    center_line,
    cusum,
    drift_alerts,
    p_chart,
    western_electric,
)
from microfactory.engines.quality.inspection import (
    DEFECT_CLASSES,
    REWORKABLE_TYPES,
    ClassResult,
    Defect,
    InspectionInput,
    InspectionResult,
    ReworkRecommendation,
    inspect,
    recommend_rework,
)
from microfactory.engines.quality.sampling import LotDecision, SamplingPlan, sampling_plan
from microfactory.engines.quality.score import QualityScore, ScoreParams, quality_score
from microfactory.engines.quality.switching import (
    LotResult,
    Severity,
    SwitchEvent,
    SwitchingState,
    next_state,
    resume_after_corrective_action,
    run_lots,
)
from microfactory.engines.quality.tables import LEVELS, SEVERITIES, aql_labels, code_letter

__all__ = [
    "DEFECT_CLASSES",
    "LEVELS",
    "REWORKABLE_TYPES",
    "SEVERITIES",
    "BatchSample",
    "ChartParams",
    "ChartPoint",
    "ClassResult",
    "Defect",
    "DriftAlert",
    "InspectionInput",
    "InspectionResult",
    "LotDecision",
    "LotResult",
    "QualityScore",
    "ReworkRecommendation",
    "SamplingPlan",
    "ScoreParams",
    "Severity",
    "SwitchEvent",
    "SwitchingState",
    "aql_labels",
    "center_line",
    "code_letter",
    "cusum",
    "drift_alerts",
    "inspect",
    "next_state",
    "p_chart",
    "quality_score",
    "recommend_rework",
    "resume_after_corrective_action",
    "run_lots",
    "sampling_plan",
    "western_electric",
]
