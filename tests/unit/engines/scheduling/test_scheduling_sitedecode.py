"""The compiled site decoder (sitedecode) against the Python reference, and run-extension modes."""

from __future__ import annotations

import random

from tests.unit.engines.scheduling.conftest import batch, one_machine

from microfactory.engines.scheduling import ScheduleParams, SiteSpec, check_schedule, generate_site
from microfactory.engines.scheduling.core import Weights, compile_problem, evaluate
from microfactory.engines.scheduling.site import build_schedule, weights_of
from microfactory.engines.scheduling.sitepolish import frozen
from microfactory.engines.scheduling.sitesearch import GROUP_MODES, DecodeMode, Decoder, lex_key


def test_compiled_decoder_matches_the_python_reference() -> None:
    """Random orders in every mode, with and without home units, on a site with and without frozen
    tasks: the compiled decoder returns the reference's schedule (same dict, same placement order),
    and both stop under a cap just below the schedule's key."""
    p = generate_site(5, SiteSpec(lines=60, setup_keys=8, days=3))
    cp = compile_problem(p, weights_of(ScheduleParams()))
    base = Decoder(cp).decode(list(range(len(cp.jobs))), DecodeMode(0, True, 1))
    late = sorted(base, key=lambda t: base[t].start)[len(base) // 2:]
    problems = [cp, frozen(cp, base, set(late), margin=0)]
    assert len(problems[1].fixed) > 0
    rng = random.Random(3)
    checked = 0
    for core in problems:
        dec = Decoder(core)
        home = dec.home_from(base)
        for i, mode in enumerate((DecodeMode(), *GROUP_MODES, DecodeMode(30, False, 0, 0))):
            order = list(range(len(core.jobs)))
            rng.shuffle(order)
            use_home = home if i % 2 else None
            fast = dec.decode_capped(order, mode, None, use_home)
            ref = dec.decode_reference(order, mode, None, use_home)
            assert fast is not None and ref is not None
            assert fast == ref and list(fast) == list(ref)
            key = lex_key(core, ref)
            below = (key[0], key[1] - 1)
            assert dec.decode_capped(order, mode, below, use_home) is None
            assert dec.decode_reference(order, mode, below, use_home) is None
            assert dec.decode_capped(order, mode, key, use_home) == ref
            checked += 1
    assert checked == 2 * (len(GROUP_MODES) + 2)
    sched = build_schedule(p, cp, Decoder(cp).decode(list(range(len(cp.jobs))), GROUP_MODES[-1]), "run",
                           ("feasible", 0.0, 0.0, 0.0), 0)
    assert check_schedule(p, sched) == []


def test_run_extension_keeps_a_key_on_its_unit() -> None:
    """Order a(x), b(y), c(x) on one unit: plain decoding pays x, y, x (30 min); a run of key x takes c
    right after a (20 min); c released 10 min after a ends joins the run only when the mode waits."""
    p = one_machine(batch("a", "x", 30), batch("b", "y", 20), batch("c", "x", 10), setup=10)
    cp = compile_problem(p, Weights(changeover=1, makespan=1))
    dec = Decoder(cp)
    assert evaluate(cp, dec.decode([0, 1, 2]))[2] == 30
    run = dec.decode([0, 1, 2], DecodeMode(run=0))
    assert evaluate(cp, run)[2] == 20
    assert run[0].end == run[2].start and run[2].setup == 0 and run[1].start >= run[2].end
    p2 = one_machine(batch("a", "x", 30), batch("b", "y", 20), batch("c", "x", 10, release=50), setup=10)
    cp2 = compile_problem(p2, Weights(changeover=1, makespan=1))
    dec2 = Decoder(cp2)
    assert evaluate(cp2, dec2.decode([0, 1, 2], DecodeMode(run=0)))[2] == 30
    waited = dec2.decode([0, 1, 2], DecodeMode(run=15))
    assert evaluate(cp2, waited)[2] == 20
    assert waited[2].start == 50 and waited[1].start >= waited[2].end
    assert waited == dec2.decode_reference([0, 1, 2], DecodeMode(run=15))
