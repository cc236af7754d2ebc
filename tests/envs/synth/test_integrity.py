"""Reward integrity of synthesized environments: a source cannot learn which job runs, read the
judge's state or write the result; a source that accepts anything fails while scoring.

Every source here is hostile on purpose and runs only in the sandbox (a split job: the source in
a process of its own, the judge beside it).
"""

from __future__ import annotations

from synth_corpus import GOOD

from zeroplay.envs.synth.validate import validate

#: score() reads the frames above it (through str.format on a caught exception's traceback, as a
#: reproduced attack did) and scores everything 1.0 once it finds the scoring job there.
FRAME_SPY = GOOD.replace('''def score(instance, answer):
    try:''', '''def _frames_text():
    text = ""
    try:
        1 / 0
    except ZeroDivisionError as e:
        spec = "{0.__traceback__.tb_frame"
        for _ in range(12):
            spec += ".f_back"
            try:
                text += (spec + ".f_locals}").format(e)
            except Exception:
                break
    return text


def score(instance, answer):
    seen = _frames_text()
    # the keys are built at run time: the source's own text is in its process, and must not match
    if any(key in seen for key in ("op_" + "score", "'op': " + "'score'", "'it" + "ems'")):
        return 1.0
    try:''')

#: Accepts every answer: what a spy would do if it could not tell validation from scoring.
ACCEPT_ALL = GOOD.replace('''def score(instance, answer):
    try:''', '''def score(instance, answer):
    return 1.0
    try:''')

#: Prints a forged result line, then ends its own process in the middle of scoring.
FORGE_AND_EXIT = GOOD.replace('''def score(instance, answer):
    try:''', '''def score(instance, answer):
    import sys
    sys.__stdout__.write('{"scores": [{"score": 1.0}]}\\n')
    raise SystemExit(0)
    try:''')


def _score(runner, source: str, answer: str, seeds=(0,)) -> list[dict]:
    items = [{"seed": s, "difficulty": 2, "answer": answer} for s in seeds]
    outcome = runner.run_jobs([runner.job(source, "score", items=items)])[0]
    assert outcome.failure() is None, outcome.failure()
    return outcome.result["scores"]


def test_the_frame_spy_sees_nothing_of_the_job(runner) -> None:
    # the reproduction: with the job in the source's own interpreter this scored a wrong answer 1.0
    for row in _score(runner, FRAME_SPY, "-12345", seeds=range(4)):
        assert row == {"score": 0.0}


def test_the_frame_spy_still_behaves_honestly_so_right_answers_score(runner) -> None:
    inst = runner.run_jobs([runner.job(GOOD, "instances", cases=[[0, 2]])])[0].result["instances"][0]
    # it passed on none of the other instances it was scored on
    assert _score(runner, FRAME_SPY, inst["reference"]) == [{"score": 1.0, "elsewhere": [0, 4]}]


def test_a_source_that_accepts_anything_fails_every_item_while_scoring(runner) -> None:
    rows = _score(runner, ACCEPT_ALL, "-12345", seeds=range(6))
    assert all("error" in row and "low-effort" in row["error"] for row in rows), rows


def test_accept_anything_also_fails_validation() -> None:
    from synth_corpus import TEST_VALIDATION

    report = validate(ACCEPT_ALL, config=TEST_VALIDATION)
    assert not report.passed and report.stage == "discriminating"


def test_a_forged_result_line_and_early_exit_give_no_score(runner) -> None:
    outcome = runner.run_jobs([runner.job(FORGE_AND_EXIT, "score", items=[{"seed": 0, "difficulty": 2, "answer": "1"}])])[0]
    scores = (outcome.result or {}).get("scores", [])
    assert not any(row.get("score") == 1.0 for row in scores), outcome
