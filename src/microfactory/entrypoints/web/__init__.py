"""The web dashboard (``/ui``) and public pages: server-rendered HTML, SVG charts, no CDN.

Routers: :mod:`pages` (login, overview, orders, network, sites), :mod:`tools` (jobs, quality,
trace), :mod:`demand_pages` (campaigns, runs, public campaign page), :mod:`static`; gathered by
``entrypoints/api/routers/ui.py``. Helpers: signed sessions, the per-process job registry, SVG
charts and the network map.
"""

from microfactory.entrypoints.web.charts import bar_chart, meter, p_chart
from microfactory.entrypoints.web.jobs import Job, JobRegistry
from microfactory.entrypoints.web.netmap import Flow, Place, Projection, network_svg
from microfactory.entrypoints.web.session import COOKIE, SessionCodec, secret_from_env

__all__ = ["COOKIE", "Flow", "Job", "JobRegistry", "Place", "Projection", "SessionCodec", "bar_chart", "meter",
           "network_svg", "p_chart", "secret_from_env"]
