"""Production planning: batches, changeovers, skilled workers and calendars, scheduled with CP-SAT."""

from microfactory.engines.scheduling.jobshop import JobShop, JobShopResult, solve_jobshop

__all__ = ["JobShop", "JobShopResult", "solve_jobshop"]
