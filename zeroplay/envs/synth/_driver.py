"""The judge of a synthesized-environment job: runs INSIDE the sandbox only.

Each job is a split job (see :mod:`zeroplay.sandbox.subject`): the env source is the *subject*,
loaded by ``_env_host.py`` in a process of its own; this judge holds the job (JSON on stdin)::

    {"op": "probe" | "hashes" | "instances" | "score" | "check", "call_timeout_s": float, ...}

calls the source's functions through that process (``sample``, ``render``, ``reference``,
``score``), checks every value it gets back, and writes one JSON line to stdout, which the
source cannot reach. The source never sees which operation runs, the seeds of other cases, or
the result; what it can see is the calls it gets. So that it cannot tell scoring from validation
by their calls either, every scored answer is scored among the instance's reference and
low-effort probe answers in a random order, and a score op fails when a probe would pass. A scored
answer that gets 1 is also scored on other instances (:func:`elsewhere`): one that gets 1 on
two of four of them too is a key, not a solution, and fails the item. Every call runs in a fresh fork
of the source's process (``_env_host._isolated``), so a source cannot keep state between calls (pay
its key once per job, remember an answer). A key the env accepts on a few instances only (one in
three, say) still pays there now and then; calibration's chance rate sees it when the calibrating
solver sends it.
Standard library only.
"""

import hashlib
import json
import math
import random
import secrets

from _zp_subject import SubjectGone, subject


class SourceError(Exception):
    """A call into the source failed; ``stage`` says which check it belongs to."""

    def __init__(self, stage, message, crash=False):
        super().__init__(message)
        self.stage = stage
        self.crash = crash  # the source raised on its own (not a limit): callers may reassign the stage


def ask(fn, *args):
    """The value of a set-up function of the source's process, or :class:`SourceError`."""
    try:
        reply = subject.call("@" + fn, *args)
    except SubjectGone as e:
        raise SourceError("sandbox", f"the environment's process ended ({e})") from None
    except Exception as e:  # noqa: BLE001 - the source's process broke its own set-up
        raise SourceError("sandbox", f"{fn} failed: {type(e).__name__}: {str(e)[:200]}") from None
    return value_of(fn, reply)


def value_of(fn, reply):
    """The value in one reply of the source's process (``["ok", v]``, ``["obj", type]`` or an error)."""
    if type(reply) is not list or not reply:
        raise SourceError("sandbox", f"{fn} sent back something unreadable")
    if reply[0] == "ok" and len(reply) == 2:
        return reply[1]
    if reply[0] == "obj" and len(reply) == 2:
        return Opaque(str(reply[1])[:100])
    if reply[0] == "err" and len(reply) == 4:
        raise SourceError(str(reply[1]), str(reply[2])[:400], bool(reply[3]))
    raise SourceError("sandbox", f"{fn} sent back something unreadable")


class Opaque:
    """A value the source returned that is not plain data (only its type name crosses)."""

    def __init__(self, type_name):
        self.type_name = type_name


def type_name(value):
    return value.type_name if type(value) is Opaque else type(value).__name__


def digest(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8", "replace"))
        h.update(b"\0")
    return h.hexdigest()[:16]


def make_rendered(job, seed, difficulty):
    """``(recipe, text, prompt, reference)`` of a new instance: sample, render and reference in one call;
    the recipe goes with every later call on the instance (the source's process keeps none)."""
    replies = ask("make", seed, difficulty)
    if type(replies) is not list or len(replies) != 3:
        raise SourceError("sandbox", "make sent back something unreadable")
    recipe, text, is_dict = value_of("sample", replies[0])
    if not is_dict:
        raise SourceError("sandbox", "sample_instance returned something else than a dict, expected dict")
    return (recipe, text, *checked_rendered(job, value_of("render", replies[1]), value_of("reference", replies[2])))


def render_reference(job, inst):
    return checked_rendered(job, ask("render", inst), ask("reference", inst))


def checked_rendered(job, prompt, ref):
    """The prompt and the reference (as a str) a source gave, checked."""
    if type(prompt) is not str:
        raise SourceError("sandbox", f"render returned {type_name(prompt)}, expected str")
    if len(prompt) > job["max_prompt_chars"]:
        raise SourceError("sandbox", f"render returned {len(prompt)} characters; the limit is {job['max_prompt_chars']}")
    if not prompt.strip():
        raise SourceError("sandbox", "render returned an empty prompt")
    if type(ref) not in (str, int, float):
        raise SourceError("self_consistent", f"reference returned {type_name(ref)}; return the answer as a str")
    ref = str(ref)
    if len(ref) > job["max_reference_chars"]:
        raise SourceError("sandbox", f"reference returned {len(ref)} characters; the limit is {job['max_reference_chars']}")
    return prompt, ref


def check_score(value, fn_desc, stage):
    if type(value) is bool:
        value = float(value)
    if type(value) not in (int, float):
        raise SourceError(stage, f"{fn_desc} returned {type_name(value)}, expected a float in [0, 1]")
    value = float(value)
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise SourceError(stage, f"{fn_desc} returned {value}, outside [0, 1]")
    return value


def score_of(job, inst, answer, stage, label):
    return checked_score(lambda: ask("score", inst, answer), stage, label)


def checked_score(get, stage, label):
    """The score ``get()`` fetches, checked; a source whose score raised fails ``stage``."""
    try:
        raw = get()
    except SourceError as e:
        if e.crash:  # score must never raise on an answer: that is this stage's failure
            raise SourceError(stage, f"{e} on the {label}; score must return 0.0 for answers it cannot read") from None
        raise
    return check_score(raw, f"score(instance, {label})", stage)


def scores_of(job, inst, labeled, stage):
    """Scores of several ``(label, answer)`` on one instance in one call: one fork for all of them, so
    the source sees them together. For validation's probes only, which a source can tell for what
    they are anyway; an answer scored in play gets a fork of its own (:func:`score_of`)."""
    saved = subject.timeout_s
    subject.timeout_s = (len(labeled) + 1) * job["call_timeout_s"] + 3.0
    try:
        replies = ask("score_many", inst, [answer for _, answer in labeled])
    finally:
        subject.timeout_s = saved
    if type(replies) is not list or len(replies) != len(labeled):
        raise SourceError("sandbox", "score_many sent back something unreadable")
    return [checked_score(lambda reply=reply: value_of("score", reply), stage, label)
            for (label, _), reply in zip(labeled, replies)]


def probe_answers(rng, prompt, other_ref):
    """Answers that should score low: empty, trivial, random, the prompt itself, everything at once."""
    junk = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in range(rng.randint(1, 30)))
    return {
        "empty": "",
        "zero": "0",
        "one": "1",
        "yes": "yes",
        "no": "no",
        "letter": "a",
        "random_text": junk,
        "random_number": str(rng.randint(0, 10**6)),
        "all_numbers": " ".join(str(i) for i in range(-100, 1000)),
        "all_letters": " ".join("abcdefghijklmnopqrstuvwxyz"),
        "echo_prompt": prompt,
        "long_junk": "x" * 5000,
        "other_reference": other_ref,
    }


#: References of other instances (at the same difficulty, unlike this one's) scored on each instance in
#: validation beside the ``other_reference`` probe: answers of the right shape that are wrong. A checking
#: env rarely passes them; one that pays answers by chance (a salted hash of the answer) passes as often
#: as it pays, which the mean-score limit on one probe lets through.
WRONG_REFERENCES = 3


def op_probe(job):
    """Every check of validation in one pass over the (seed, difficulty) cases."""
    cases = []
    refs = {}
    for seed, difficulty in job["cases"]:
        case = {"seed": seed, "difficulty": difficulty}
        cases.append(case)
        try:
            inst, text, prompt, ref = make_rendered(job, seed, difficulty)
            case["hash"] = digest(text, prompt, ref)
            case["inst_hash"] = digest(text)
            case["prompt_chars"] = len(prompt)
            _again, text2, prompt2, ref2 = make_rendered(job, seed, difficulty)
            case["hash_again"] = digest(text2, prompt2, ref2)
            case["ref_score"] = score_of(job, inst, ref, "self_consistent", "reference(instance)")
            case["_inst"], case["_prompt"], case["_ref"] = inst, prompt, ref
            refs.setdefault(difficulty, []).append(ref)
        except SourceError as e:
            case["error"] = {"stage": e.stage, "message": str(e)}
            return {"cases": [strip(c) for c in cases]}
    rng = random.Random(job.get("probe_seed", 0))
    for i, case in enumerate(cases):
        others = list(dict.fromkeys(r for r in refs.get(case["difficulty"], []) if r != case["_ref"]))
        other = others[i % len(others)] if others else ""
        wrong = [others[(i + k) % len(others)] for k in range(1, min(WRONG_REFERENCES, len(others) - 1) + 1)]
        try:
            probed = probe_answers(rng, case["_prompt"], other)
            labeled = [(f"{label} answer", answer) for label, answer in probed.items()]
            labeled += [("other instance's reference", w) for w in wrong]
            got = scores_of(job, case["_inst"], labeled, "discriminating")
            probes, wrong_scores = dict(zip(probed, got)), got[len(probed):]
        except SourceError as e:
            case["error"] = {"stage": e.stage, "message": str(e)}
            return {"cases": [strip(c) for c in cases]}
        case["probes"] = probes
        passed = [probes["other_reference"] >= 1.0 - 1e-9] if other else []
        passed += [s >= 1.0 - 1e-9 for s in wrong_scores]
        case["wrong_passed"] = [sum(passed), len(passed)]
    examples = [{"prompt": c["_prompt"][:2000], "reference": c["_ref"][:500], "difficulty": c["difficulty"]} for c in cases[:: max(1, len(cases) // 3)][:3]]
    return {"cases": [strip(c) for c in cases], "examples": examples}


def strip(case):
    return {k: v for k, v in case.items() if not k.startswith("_")}


def op_hashes(job):
    """Only the instance/prompt/reference hash of each case: the cheap second run of the determinism check."""
    cases = []
    for seed, difficulty in job["cases"]:
        case = {"seed": seed, "difficulty": difficulty}
        cases.append(case)
        try:
            _inst, text, prompt, ref = make_rendered(job, seed, difficulty)
            case["hash"] = digest(text, prompt, ref)
        except SourceError as e:
            case["error"] = {"stage": e.stage, "message": str(e)}
            break
    return {"cases": cases}


def op_instances(job):
    """Prompts and references for (seed, difficulty) pairs; a failing case reports its error."""
    out = []
    for seed, difficulty in job["cases"]:
        try:
            _inst, text, prompt, ref = make_rendered(job, seed, difficulty)
            out.append({"prompt": prompt, "reference": ref, "inst_hash": digest(text)})
        except SourceError as e:
            out.append({"error": str(e)})
    return {"instances": out}


#: Probes scored beside every real answer: ones no checking environment passes (answers that look
#: like real ones are left out, so an honest env never fails here by accident). A source that
#: keys on the order of calls instead of their content gets 1 of len+1 answers right by chance,
#: and each wrong guess fails the item.
SCORING_PROBES = ("empty", "letter", "yes", "no", "random_text", "long_junk")


def op_score(job):
    """Scores of answers, each on the instance rebuilt from its (seed, difficulty).

    Each answer is scored among the instance's reference and low-effort probes, in an order the
    source cannot predict; the item fails when the reference no longer scores 1 or a probe would
    pass, so a source cannot score real answers one way and validation's probes another."""
    rng = random.Random(secrets.randbits(64))
    out = []
    for item in job["items"]:
        try:
            inst, text, prompt, ref = make_rendered(job, item["seed"], item["difficulty"])
            if item.get("inst_hash") and digest(text) != item["inst_hash"]:
                raise SourceError("deterministic", "the instance came out different from the one shown (non-deterministic env)")
            every = probe_answers(rng, prompt, "")
            probes = {label: every[label] for label in SCORING_PROBES}
            taken = {ref.strip().lower(), item["answer"].strip().lower()}
            asked = [("answer", item["answer"]), ("reference", ref)]
            asked += [(label, a) for label, a in probes.items() if a.strip().lower() not in taken]
            rng.shuffle(asked)
            scores = {label: score_of(job, inst, a, "score", label if label != "answer" else "answer") for label, a in asked}
            if scores["reference"] < 1.0 - 1e-9:
                raise SourceError("self_consistent", f"the reference scored {scores['reference']:g} this time, not 1")
            passed = [label for label in probes if label in scores and scores[label] >= 1.0 - 1e-9]
            if passed:
                raise SourceError("discriminating", f"the low-effort answer '{passed[0]}' scored 1 while scoring; "
                                  "the environment does not check answers")
            result = {"score": scores["answer"]}
            if scores["answer"] >= 1.0 - 1e-9:
                verdicts = elsewhere(job, item, ref, rng)
                result["elsewhere"] = [sum(verdicts), len(verdicts)]
                if sum(verdicts[:KEY_CHECKS]) >= KEY_HITS:
                    out.append({"error": "the answer also scored 1 on other instances whose reference answers differ: "
                                "the environment accepts a key, not a solution", "elsewhere": result["elsewhere"]})
                    continue
            out.append(result)
        except SourceError as e:
            out.append({"error": str(e)})
    return {"scores": out}


#: Other instances a full-score answer is scored on too (fresh seeds the source cannot predict, the same
#: difficulty, references unlike the answer's own): an answer that scores 1 on :data:`KEY_HITS` of the
#: first four is a key the env accepts whatever the instance (a back door no probe guesses, "any huge
#: number", or one it pays on most instances), not a solution. A job may ask for more (``"elsewhere":
#: n``): calibration does, and reads the share that scored 1 as the env's chance of paying an answer
#: that solves another instance. An honest env whose right answers often solve other instances too
#: (small task orders) loses a few of them (TaskOrder's level 1: about 5%).
KEY_CHECKS = 4
KEY_HITS = 2


def elsewhere(job, item, ref, rng):
    """Whether ``item``'s answer scores 1 on other instances whose references differ from ``ref`` and from
    the answer, one verdict per instance (up to ``max(KEY_CHECKS, job["elsewhere"])``; draws that share
    a reference are skipped, three times as many draws at most)."""
    same = {ref.strip().lower(), item["answer"].strip().lower()}
    wanted = max(KEY_CHECKS, int(job.get("elsewhere", 0)))
    verdicts = []
    for _ in range(3 * wanted):
        inst, _text, _prompt, other = make_rendered(job, rng.randrange(1 << 31), item["difficulty"])
        if other.strip().lower() in same:
            continue
        verdicts.append(score_of(job, inst, item["answer"], "score", "answer") >= 1.0 - 1e-9)
        if len(verdicts) == wanted:
            break
    return verdicts


def op_check(job):
    """Prompt, reference and the score of an answer on instances given as JSON (known-value tests)."""
    out = []
    for item in job["items"]:
        try:
            inst, _text, _is_dict = ask("put", item["instance"])
            prompt, ref = render_reference(job, inst)
            out.append({"prompt": prompt, "reference": ref, "score": score_of(job, inst, item.get("answer", ref), "score", "answer")})
        except SourceError as e:
            out.append({"error": str(e)})
    return {"checks": out}




OPS = {"probe": op_probe, "hashes": op_hashes, "instances": op_instances, "score": op_score, "check": op_check}


def main():
    import sys

    job = json.loads(sys.stdin.read())
    # a backstop: the source's process bounds each call itself (a fork that runs past its alarms is
    # killed); one request may make three calls (sample, render, reference of a new instance)
    subject.timeout_s = 3 * job["call_timeout_s"] + 3.0
    try:
        if subject.load_error is not None:
            raise SourceError("sandbox", f"the environment's process failed to start: {subject.load_error}")
        try:
            status = subject.call("@status")
        except Exception as e:  # noqa: BLE001 - the process ended or broke its set-up
            raise SourceError("sandbox", f"the environment's process ended ({type(e).__name__}: {str(e)[:200]})") from None
        if status != ["ok"]:
            if type(status) is not list or len(status) != 3:
                raise SourceError("sandbox", "the environment's process sent back something unreadable")
            raise SourceError(str(status[1]), str(status[2])[:400])
        result = OPS[job["op"]](job)
    except SourceError as e:
        result = {"load_error": {"stage": e.stage, "message": str(e)}}
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
