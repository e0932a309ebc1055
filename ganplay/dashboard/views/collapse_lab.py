"""Mode collapse lab: a vanilla GAN that collapses next to the same GAN with one cure, side by side.

Replay plays back the recorded pair (`pretrained/lab/`) on one timeline, from step 0; Train live
starts both as jobs. The two sides stay side by side on a phone too. Presenter view (`?presenter=1`,
with the lesson in `data`, `cure`, `mode`) shows only the figures, the big numbers, Play and the
timeline, large, for a projector.
The logic is in `ganplay.dashboard.lab_view`; this file lays it out.
"""

import functools
import math
import time

import streamlit as st

from ganplay import jobs, protocol
from ganplay.dashboard import lab_view as lv
from ganplay.dashboard import view2d, visitor
from ganplay.dashboard.progress import progress
from ganplay.dashboard.widgets import badge_markdown, runs_root, shown_runs_root
from ganplay.glossary import metric
from ganplay.lab import play
from ganplay.lab.measure import load_reliability, pair_time_text, rate_text
from ganplay.lab.scenarios import (COLLAPSE, CURES, SCENARIOS, WHAT_IS_COLLAPSE, WHAT_TO_WATCH,
                                   scenario)

REPLAY, LIVE = "Replay", "Train live"
NO_BAR = {"displayModeBar": False}

# --- presenter view: ?presenter=1 (a teacher bookmarks it), switched on by a toggle ---------------
# The URL is the presenter view's only state: it shows no controls but Play/Pause and the timeline,
# so the lesson it plays comes from the URL too (?data=ring8&cure=pacgan&mode=live); the toggle
# writes all of them, and "Leave presenter view" links back with the lesson and without
# ?presenter.
names = list(SCENARIOS)
QUERY_DATA, QUERY_CURE, QUERY_MODE = "data", "cure", "mode"


def _query_choice(name: str, options) -> str | None:
    value = st.query_params.get(name)
    return value if value in options else None


def _lesson_to_query() -> None:
    """The lesson chosen on the page into the URL (so a refresh or a bookmark keeps it)."""
    st.query_params[QUERY_DATA] = st.session_state["lab.scenario"]
    cure_now = st.session_state.get("lab.cure")
    if cure_now in SCENARIOS[st.session_state["lab.scenario"]].cures:
        st.query_params[QUERY_CURE] = cure_now
    else:
        st.query_params.pop(QUERY_CURE, None)
    if st.session_state.get("lab.mode") == LIVE:
        st.query_params[QUERY_MODE] = "live"
    else:
        st.query_params.pop(QUERY_MODE, None)


def _presenter_on() -> None:
    if st.session_state.get("lab.presenter"):
        _lesson_to_query()
        st.query_params[lv.PRESENTER_QUERY] = "1"


big = lv.presenter_from_query(st.query_params)
FIG_H = lv.PRESENTER_FIG_H if big else 360  # samples figure (presenter figures are scaled up by lab_view)
HIST_CHART_H, HIST_H = lv.PRESENTER_HIST_CHART_H, lv.PRESENTER_HIST_H  # presenter view, digits
st.html(lv.PRESENTER_CSS if big else lv.PHONE_CSS)
if big:
    scenario_name = _query_choice(QUERY_DATA, names) or names[0]
    sc = scenario(scenario_name)
    cure = _query_choice(QUERY_CURE, sc.cures) or sc.cures[0]
    mode = LIVE if st.query_params.get(QUERY_MODE) == "live" else REPLAY
    # one line: the figures are to start in a 1280 x 720 projector's first screen (the blurb goes
    # under them, with what to watch)
    st.title(f"Mode collapse lab: {sc.title}")
else:
    head, toggle_col = st.columns([4, 1], vertical_alignment="bottom")
    head.title("Mode collapse lab")
    toggle_col.toggle("Presenter view", key="lab.presenter", on_change=_presenter_on,
                      help="For a projector: the figures and the big numbers only, large, with Play "
                           "and the timeline; no sidebar, toolbar or other controls. Bookmark it "
                           "(…/collapse-lab?presenter=1 plus this lesson).")
    # the pickers start from the URL (a bookmark, or back from presenter view), else the first
    if st.session_state.get("lab.scenario") not in names:
        st.session_state["lab.scenario"] = _query_choice(QUERY_DATA, names) or names[0]
    if st.session_state.get("lab.mode") not in (REPLAY, LIVE):
        st.session_state["lab.mode"] = LIVE if st.query_params.get(QUERY_MODE) == "live" else REPLAY
    pick = st.columns([2, 2, 2], vertical_alignment="bottom")
    scenario_name = pick[0].selectbox("Data", names, key="lab.scenario", on_change=_lesson_to_query,
                                      format_func=lambda n: SCENARIOS[n].title,
                                      help="What the two GANs learn to generate.")
    sc = scenario(scenario_name)
    if st.session_state.get("lab.cure") not in sc.cures:
        st.session_state["lab.cure"] = _query_choice(QUERY_CURE, sc.cures) or sc.cures[0]
    cure = pick[1].selectbox("Cure (right side)", list(sc.cures), key="lab.cure", on_change=_lesson_to_query,
                             format_func=lambda c: CURES[c].title,
                             help="The right side is the left's GAN with this one change.")
    mode = pick[2].segmented_control("Mode", [REPLAY, LIVE], key="lab.mode", on_change=_lesson_to_query,
                                     help="Replay: the recorded runs, at once. Train live: both "
                                          "configs train now, as two jobs.") or REPLAY
    if any(k in st.query_params for k in (QUERY_DATA, QUERY_CURE, QUERY_MODE)):
        # the URL shows this lesson; writing it also sends the browser the whole query string, so
        # a stale ?presenter=1 goes (the "Leave presenter view" link reruns with new parameters but
        # leaves the address bar as it was)
        _lesson_to_query()
if not big:
    st.markdown(f"**{sc.title}.** {sc.blurb}")
    st.markdown(WHAT_IS_COLLAPSE)
sides = (COLLAPSE, cure)
reliability = load_reliability()


def differs() -> None:
    """Exactly what the right side changes, and why it helps."""
    st.subheader("What differs")
    why, changes = st.columns([3, 2])
    why.markdown(f"**Why {CURES[cure].title} helps.** {CURES[cure].why_on(scenario_name)}")
    with changes:
        words, config_lines = lv.changes_markdown(scenario_name, cure)
        st.markdown("**The right side is the left's GAN, except:**", help=tip(config_lines))
        st.markdown(words)


def anchors() -> None:
    text = lv.anchors_markdown(sc)
    if text:
        st.caption(text)


def side_header(side: str) -> None:
    colour = "red" if side == COLLAPSE else "blue"
    st.markdown(f"### :{colour}[{lv.side_title(side)}]")


def _delta(num: play.Numbers) -> int | float:
    return int(num.delta) if float(num.delta).is_integer() else round(num.delta, 1)


def tip(text: str) -> str | None:
    """A tooltip in the normal view; none in presenter view (its "?" icons are controls too)."""
    return None if big else text


def caption(text: str) -> None:
    """A chart's one-line explanation, for a learner reading alone (the presenter says it)."""
    if not big:
        st.caption(text)


def coverage_metric(num: play.Numbers, say_step: bool) -> None:
    """The side's coverage; `say_step`: name the step it was measured at, under the number (a
    label with the step in it was cut short on a phone; the timeline's slider says it otherwise).
    A fall from the best so far is red; a small one (`Numbers.fall_is_noise`) is grey, without an
    arrow: a covered side wobbles by a few modes, which is not G giving them up."""
    noise = num.fall_is_noise(sc)
    st.metric(lv.UNIT_LABEL.get(sc.unit, sc.unit), f"{lv.fmt(num.coverage)} / {num.full:,}",
              delta=_delta(num) if num.peak > 0 else None,
              delta_color="off" if noise else "normal", delta_arrow="off" if noise else "auto",
              delta_description="vs. best so far" if num.peak > 0 else None,
              help=tip(f"How many of the {num.full:,} {sc.unit} the generator's samples reach, and how "
                       "far that is below its best so far. A red fall means G is giving modes up; a "
                       f"grey one is a wobble (under {100 * play.NOISE_SHARE:g}% of all {num.full:,}, "
                       f"or while at least {sc.covered_at_least:,} are still covered)."))
    if say_step:
        st.caption(f"measured at step {num.step:,}")


# --- replay -------------------------------------------------------------------------------------
def _moved() -> None:
    """The play moved the position: the next slider is a new widget showing it (see `replay`)."""
    st.session_state["lab.slider_gen"] = st.session_state.get("lab.slider_gen", 0) + 1


def _play(lesson: tuple[str, str], pos: str, steps: list[int]) -> None:
    if st.session_state.get(pos) == steps[-1]:
        st.session_state[pos] = steps[0]  # at the end: play from the start
        _moved()
    st.session_state["lab.playing"] = lesson
    st.session_state["lab.play_t"] = time.monotonic()


def _play_or_pause(lesson: tuple[str, str], pos: str, steps: list[int]) -> None:
    if st.session_state.get("lab.playing") == lesson:
        st.session_state["lab.playing"] = None
    else:
        _play(lesson, pos, steps)


def chart(fig, key: str, copy: bool = True) -> None:
    """A Plotly chart with little chrome, never sent twice the same (see `lab_view.stamped`);
    `copy=False` for a figure built for this draw alone."""
    draw = st.session_state.get("lab.draw", 0) + 1
    st.session_state["lab.draw"] = draw
    st.plotly_chart(lv.stamped(fig, draw, copy), config=NO_BAR, key=key)


def areas():
    """Where the samples and the coverage chart go: side by side in presenter view (so a 1080p
    projector shows everything without scrolling), else one above the other."""
    if big:
        return st.columns(2)
    return st.container(), st.container()


def replay_side(side: lv.Side, step: int) -> play.Numbers | None:
    """One side at the timeline's step; returns the numbers it shows (None without a replay).
    Notes that only one side may need (a warning, a hidden share) go under its figures, so the two
    sides' numbers and figures stay level (on a phone too)."""
    side_header(side.side)
    st.caption(f"Measured: {rate_text(scenario_name, side.side, reliability)}")
    if not side.ok:
        (st.warning if side.missing else st.error)(side.message(), icon=":material/warning:")
        return None
    rep = side.replay
    i = rep.frame_at(step)
    num = play.numbers(rep, i)
    # the count gets the wider tile: at 1,024 px the labels of two equal tiles were cut short
    tiles = st.columns([3, 2]) if num.hq is not None or num.kl is not None else [st.container()]
    with tiles[0]:
        coverage_metric(num, num.step != step)  # this side has no frame at the timeline's step
    notes: list[str] = []
    if num.hq is not None:
        shown = num.hq_means_something
        tiles[1].metric(lv.HQ_LABEL, f"{100 * num.hq:.0f}%" if shown else "—",
                        help=tip("Share of all samples within 3 standard deviations of a mode's centre "
                                 "(quality, not variety; higher is better)."
                                 + ("" if shown else " " + lv.hq_hidden_note(num, sc.unit))))
        if not shown:
            notes.append(lv.hq_hidden_note(num, sc.unit))
    if num.kl is not None:
        tiles[1].metric(metric("kl").label, f"{num.kl:.2f}",
                        help=tip(f"KL(histogram of triples ‖ uniform): how unevenly the samples fall on "
                                 f"the {num.full:,} digit triples. Lower is better: 0 is an even spread, "
                                 f"{math.log(num.full):.2f} is every sample the same triple."
                                 + (" Published: " + ", ".join(f"{m} {v:g} ({src})" for m, v, src in sc.kl_anchors)
                                    + "." if sc.kl_anchors else "")))
    samples, coverage = areas()
    with samples:
        if rep.kind == "points":
            chart(lv.samples_figure(side, i, big, FIG_H), f"lab-samples-{side.side}")
            caption(lv.drawn_caption(num, sc.unit))
        else:
            st.image(lv.grid_image(rep.frames[i]), width="stretch" if big else 360,
                     caption=f"generated samples at step {num.step:,}")
    with coverage:
        # presenter view with a histogram under it: both on a projector's first screen
        height = (FIG_H if num.hist is None else HIST_CHART_H) if big else 300
        chart(lv.replay_coverage_figure(side, i, big, height), f"lab-coverage-{side.side}")
        caption(lv.coverage_caption(sc))
    if num.hist is not None:  # presenter view: beside the digits, under the chart (no scrolling)
        with coverage if big else samples:
            chart(lv.hist_figure(num.hist, side.side, big=big, height=HIST_H if big else 240), f"lab-hist-{side.side}",
                  copy=False)
            caption(lv.hist_caption(len(num.hist)))
    if num.touched_not_sharp(sc, lv.SHARP_SHARE):
        st.markdown(f":orange[**{lv.touched_not_sharp(num.coverage, num.full, num.hq, sc.unit)}**]")
    if lv.never_digit_like(side):
        st.markdown(f":orange[**{lv.no_digit_note(rep, num)}**]")
    for note in notes:
        caption(note)
    verdict = rep.meta.get("verdict")
    if verdict and i == len(rep) - 1:
        st.caption(f"This recording (seed {rep.seed}) ended **{verdict}**.")
    return num


def export(left: lv.Side, right: lv.Side, step: int) -> None:
    """One-click downloads for slides: each file is drawn when its button is pressed (the button
    spins meanwhile; the GIF takes a few seconds)."""
    if big or not (left.ok and right.ok):
        return
    il, ir = left.replay.frame_at(step), right.replay.frame_at(step)
    cols = st.columns([1, 1, 2], vertical_alignment="center")
    cols[0].download_button("PNG of this moment",
                            functools.partial(lv.slide_png, left.replay, right.replay, il, ir),
                            file_name=lv.export_name(scenario_name, cure, "png", step), mime="image/png",
                            on_click="ignore", icon=":material/image:", width="stretch", key="lab.png",
                            help="Both sides at this step, samples and coverage, 1200 × 900 px.")
    cols[1].download_button("Animated GIF", functools.partial(lv.slide_gif, left.replay, right.replay),
                            file_name=lv.export_name(scenario_name, cure, "gif"), mime="image/gif",
                            on_click="ignore", icon=":material/animation:", width="stretch", key="lab.gif",
                            help="The whole replay, both sides on one timeline (takes a few seconds).")
    cols[2].caption("For slides: large type, the collapse on the left, the cure on the right.")


def _go_live() -> None:
    st.session_state["lab.mode"] = LIVE
    _lesson_to_query()


def replay() -> None:
    left, right = (lv.load_side(scenario_name, s) for s in sides)
    steps = play.timeline(left.replay, right.replay)
    if not steps:
        for col, side in zip(st.columns(2, wrap=False), (left, right)):
            with col:
                side_header(side.side)
                (st.warning if side.missing else st.error)(side.message(), icon=":material/warning:")
        if not big:
            st.button("Train this pair live instead", icon=":material/model_training:", on_click=_go_live)
        return
    # The current step lives in `pos`; the slider shows it and, when nothing plays, sets it. Each
    # time the play moves `pos`, the slider becomes a new widget (a new key) with `pos` as its
    # default (`value=`): the browser's requests still carry the old slider's value, and for a new
    # key they change nothing; a session_state override would be dropped once the browser has
    # drawn the slider.
    # A lesson opens at its first step, ready to play (the end would give the lesson away).
    pos = f"lab.pos.{scenario_name}.{cure}"
    if st.session_state.get(pos) is None:
        st.session_state[pos] = steps[0]
    elif st.session_state[pos] not in steps:
        st.session_state[pos] = play.snap_step(steps, st.session_state[pos])
    lesson = (scenario_name, cure)
    if st.session_state.get("lab.playing") not in (None, lesson):
        st.session_state["lab.playing"] = None  # another lesson was playing: it stops
    playing = st.session_state.get("lab.playing") == lesson
    if not big:
        st.info(WHAT_TO_WATCH, icon=":material/visibility:")

    @st.fragment(run_every=lv.PLAY_EVERY_S if playing else None)
    def player() -> None:
        # Play/Pause reruns only this fragment; the timer (run_every) is fixed when the fragment is
        # drawn, so starting or stopping it takes a full run
        if (st.session_state.get("lab.playing") == lesson) != playing:
            st.rerun()
        if playing and time.monotonic() - st.session_state.get("lab.play_t", 0.0) >= 0.8 * lv.PLAY_EVERY_S:
            nxt, at_end = play.next_step(steps, st.session_state[pos])
            st.session_state[pos] = nxt
            st.session_state["lab.play_t"] = time.monotonic()
            _moved()
            if at_end:  # stop at the end: the full run draws the last frame without the timer
                st.session_state["lab.playing"] = None
                st.rerun()
        slider = f"lab.step.{scenario_name}.{cure}.{st.session_state.get('lab.slider_gen', 0)}"
        bar = st.columns([2, 11], vertical_alignment="center")  # wide enough for "Pause" and its icon
        with bar[0]:  # one button (one key): Play turns into Pause in place
            st.button("Pause" if playing else "Play",
                      icon=":material/pause:" if playing else ":material/play_arrow:", on_click=_play_or_pause,
                      args=(lesson, pos, steps), key="lab.play", type="secondary" if playing else "primary",
                      width="stretch",
                      help=tip(f"Step through the recording, one frame every {lv.PLAY_EVERY_S:g} s; it "
                               "stops at the end."))
        with bar[1]:
            step = st.select_slider("Training step", steps, value=st.session_state[pos], key=slider,
                                    format_func=lambda s: f"{s:,}",
                                    label_visibility="collapsed" if big else "visible",
                                    help=tip("Both sides show their recorded frame at this step."))
        if playing:
            step = st.session_state[pos]
        else:
            st.session_state[pos] = step
        # the two sides stay side by side on a phone too (wrap=False: Streamlit stacks columns on
        # screens under 640 px, which put the cure a screen below the collapse)
        shown = []
        for col, side in zip(st.columns(2, gap="large", wrap=False), (left, right)):
            with col:
                shown.append(replay_side(side, step))
        why = lv.covered_vs_quality(sc, shown) if sc.kind == "points" and not big else None
        if why:
            st.caption(why)
        anchors()
        export(left, right, step)

    player()


# --- live ---------------------------------------------------------------------------------------
def live_side(side: str, info) -> None:
    side_header(side)
    st.caption(f"Measured: {rate_text(scenario_name, side, reliability)}")
    if info is None:
        st.info("Not started.", icon=":material/hourglass_empty:")
        return
    st.markdown(f"{badge_markdown(info.state)} &nbsp; `{info.name}`")
    if info.kind != "run":
        if info.state == "queued":
            st.caption(f"Waiting for a free slot (#{info.queue_position}): {jobs.limits().describe()}.")
        elif info.state == "failed":
            st.error(info.note or "The job ended before it started training.")
        else:
            st.progress(0.0, text="starting: building the models…")
        return
    rows = info.run.read_metrics()
    prog = progress(info.status, rows, config=info.settings)
    st.progress(prog.fraction, text=prog.text())
    if info.error:
        st.error(info.error)
    xs, ys = play.live_coverage(rows, sc)
    if ys:
        peak = max(ys)
        coverage_metric(play.Numbers(xs[-1], ys[-1], sc.n_modes, peak), True)  # behind the progress bar
    else:
        st.caption(f"Coverage is measured every {info.settings.train.eval_every:,} steps.")
    samples, coverage = areas()
    with samples:
        if sc.kind == "points":
            paths = info.run.sample_paths(".npz")
            if paths:
                try:
                    snap = view2d.load_snapshot(paths[-1])
                    chart(lv.points_figure(snap.fake, snap.real, side, big=big, height=FIG_H),
                          f"lab-live-samples-{side}", copy=False)
                    caption(f"samples at step {snap.step:,} (saved every "
                            f"{info.settings.train.sample_every:,} steps)")
                except (OSError, KeyError, ValueError, EOFError):
                    st.caption("Reading the newest snapshot…")
        else:
            pngs = info.run.sample_paths(".png")
            if pngs:
                st.image(str(pngs[-1]), width="stretch" if big else 360,
                         caption=f"step {view2d.step_of(pngs[-1]):,}")
    if ys:
        if protocol.CHEAP_N[sc.kind] < protocol.FRAME_N[sc.kind]:
            st.caption(f"Live counts use {protocol.CHEAP_N[sc.kind]:,} samples per check, not the replay's "
                       f"and the papers' {protocol.FRAME_N[sc.kind]:,}, so they read lower.")
        with coverage:
            chart(lv.coverage_figure(sc, side, xs, ys, current=(xs[-1], ys[-1]), hq=play.live_hq(rows, xs),
                                     anchor=play.anchor_for(sc, side), big=big, x_max=info.steps,
                                     height=FIG_H if big else 300),
                  f"lab-live-coverage-{side}", copy=False)
            caption(lv.coverage_caption(sc))
    if not big and info.is_active and jobs.may_control(info, visitor.token()) and st.button(
            "Stop", icon=":material/stop:", key=f"lab.stop.{side}"):
        try:
            jobs.stop(info, visitor=visitor.token())
            st.toast(f"Stopping {info.name}", icon=":material/stop:")
        except jobs.JobError as exc:
            st.error(str(exc))


def live() -> None:
    root = runs_root()
    runs = jobs.poll(root)
    pair = play.live_pair(runs, scenario_name, sides, st.session_state.get("lab.live"))
    if not big and start_pair(root, busy=any(r.is_active or r.state == "queued" for r in pair.values())):
        # just submitted: find the new jobs now, so this run draws them and starts polling (the
        # pair found above, before the press, was empty on a first start: the page said "Nothing
        # of this lesson has trained here yet" until a reload)
        pair = play.live_pair(jobs.poll(root), scenario_name, sides, st.session_state.get("lab.live"))
    if not pair:
        st.info("Nothing of this lesson has trained here yet: press **Train this pair live**"
                + (" (leave presenter view first)" if big else "")
                + "." + (f" On the 2-core CPU we measured on, the pair took {took} (both sides at once)."
                         if (took := pair_time_text(scenario_name, sides, reliability)) else ""),
                icon=":material/info:")
        return
    polling = any(r.is_active or r.state == "queued" for r in pair.values())
    if not big:
        st.info(WHAT_TO_WATCH, icon=":material/visibility:")

    @st.fragment(run_every=lv.LIVE_POLL_S if polling else None)
    def panel() -> None:
        jobs.start_queued(root)
        fresh = {side: jobs.find(root, info.id) or info for side, info in pair.items()}
        if polling and not any(r.is_active or r.state == "queued" for r in fresh.values()):
            st.rerun()  # both finished: stop polling
        # side by side on a phone too (see the replay)
        for col, side in zip(st.columns(2, gap="large", wrap=False), sides):
            with col:
                live_side(side, fresh.get(side))
        anchors()

    panel()


def start_pair(root, busy: bool = False) -> bool:
    """Seed, steps and the button that starts both sides as jobs (not in presenter view); while
    the pair on show trains (`busy`), the button waits for it. True when this run started jobs."""
    lim = jobs.limits()
    default_steps = sc.base["train"]["steps"]
    cols = st.columns([1, 1, 2], vertical_alignment="bottom")
    seed = cols[0].number_input("Seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="lab.seed",
                                help="Both sides use the same seed, so only the cure differs.")
    steps = cols[1].number_input("Steps", min_value=100, max_value=lim.max_steps or 100_000,
                                 value=min(default_steps, lim.max_steps or default_steps), step=100,
                                 key=f"lab.steps.{scenario_name}",
                                 help=f"The recorded lesson trains {default_steps:,} steps.")
    started: dict[str, str] = {}
    if cols[2].button("Train this pair live", type="primary", icon=":material/play_arrow:", width="stretch",
                      disabled=busy,
                      help="This pair is still training (or waiting): its charts fill in below." if busy
                      else "Starts both configs as background jobs in the runs folder; they keep "
                           "running if you leave the page."):
        try:
            for side in sides:
                cfg, notes = lv.live_config(scenario_name, side, int(seed), int(steps), lim)
                started[side] = jobs.submit(cfg, root, lim, visitor=visitor.token(), address=visitor.address()).id
                for note in notes:
                    st.caption(f"{lv.side_title(side)}: {note}")
            st.toast("Started both sides", icon=":material/rocket_launch:")
        except (jobs.JobError, ValueError) as exc:
            st.error(str(exc))
        st.session_state["lab.live"] = {**st.session_state.get("lab.live", {}), **started}
    st.caption(f"Both jobs write to `{shown_runs_root(root)}` (see them on **Runs**); coverage is logged "
               f"{lv.LIVE_EVALS} times per run. "
               + (f"This server allows {lim.describe()}." if lim.demo else ""))
    return bool(started)


if mode == LIVE:
    live()
else:
    replay()
if big:  # the teacher says it; it is here to read afterwards
    st.markdown(f"**{sc.title}.** {sc.blurb}")
    st.info(WHAT_TO_WATCH, icon=":material/visibility:")
differs()
if big:
    st.markdown(WHAT_IS_COLLAPSE)
    # a link, not a control: back to the normal view with the same lesson (this session goes on)
    st.page_link("views/collapse_lab.py", label="Leave presenter view", icon=":material/close_fullscreen:",
                 query_params={QUERY_DATA: scenario_name, QUERY_CURE: cure,
                               **({QUERY_MODE: "live"} if mode == LIVE else {})})
