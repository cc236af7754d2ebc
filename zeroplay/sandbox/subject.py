"""Split jobs: the one transport by which zeroplay runs model-written code and reads a result back.

Every family that judges untrusted code (the code verifier, the code-task envs and their proposer
validation, synthesized environments) sends the sandbox a :class:`~zeroplay.sandbox.Program`
whose ``code`` is a trusted *judge* and whose ``subject`` is the untrusted code::

    Program(JUDGE_SOURCE, stdin=job_json, subject=Subject(untrusted_code, setup=TRUSTED_SETUP))

Each family keeps only its job code: the judge (what to call, how to check it, what to print)
and, optionally, a setup for the subject's process (how to load the code, helpers the judge
calls as ``"@name"``). The judge reaches the subject with ``from _zp_subject import subject``:

    subject.load_error        # None, or why the code failed to load ("TypeName: message")
    subject.call("f", 1, 2)   # call f in the subject: plain data back, or a Remote for other values
    subject.call("@helper")   # a function of the trusted setup
    subject.names()           # public callables the code defines
    subject.timeout_s = 2.0   # per-call bound: past it the subject is killed (SubjectGone)

Threat model (what a hostile subject can and cannot do)
-------------------------------------------------------
The subject is assumed to be an attacker that wants the judge to report a result it did not earn.

- **Separate processes, forked before any job data exists.** The in-sandbox runner forks the
  subject from a process that has read nothing of the job; the subject then reads only its own
  payload (its code and setup) from an fd of its own. The judge's payload (tests, expected
  values, seeds, which operation runs) is read by the judge after the fork and never enters the
  subject's memory: no frame, ``gc`` walk or raw memory read in the subject can find it.
- **The result channel is the judge's alone.** Only the judge holds the sandbox's stdout, its
  stdin and its files; the subject's stdout and stderr go to the run's stderr, which no family
  reads results from. No nonce or secret exists to steal.
- **The judge is out of reach.** It is not dumpable, so ``/proc/<judge>/{mem,fd,environ,maps}``
  are closed to the subject; ``ptrace`` and ``process_vm_readv/writev`` are denied by seccomp;
  the pool's seccomp filter lets a job apply ``prlimit``/affinity/priority calls only to itself.
- **The socket carries data, not code.** Requests and replies are length-prefixed ``marshal``
  of built-in values; the judge caps the size of a reply, accepts only exact built-in types
  (no subclasses, no objects with their own ``__eq__``), answers each call exactly once, and
  treats anything unreadable as the subject's end (:class:`SubjectGone`). A value that is not
  plain data stays in the subject as a ``Remote`` handle, which compares by identity only.
- **What the subject still controls** is its own process: whatever it returns from a call, and
  when it stops answering. It can exit, hang, flood its output or kill/stop the judge (same uid
  inside the sandbox); each of these ends the run with fewer results, never with better ones.
  A subject that keys its answers on the *pattern* of calls (not their content) is a matter for
  the family's protocol: synthesized envs score each answer among probes in a random order.

Not covered: kernel bugs reachable through allowed system calls and side channels (see
:mod:`zeroplay.sandbox.isolation`); on the weaker ``process`` backend on a non-root host the
subject runs under the host user's uid, and the host process is as reachable as the host user is.
"""

from zeroplay.sandbox.spec import Program, Subject

__all__ = ["Program", "Subject"]
