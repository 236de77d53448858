#!/usr/bin/env python3
"""Runs prun and GNU parallel on the same command lines and inputs and compares what they
print (stdout), their exit statuses and, where asked, their joblogs (every column but the
times) and --results trees.

Usage: compare_gnu.py PRUN GROUP     (GROUP: one of the groups below, or "all")

GNU parallel runs its commands with the shell it was started from; PARALLEL_SHELL=/bin/sh makes
it use prun's. A missing GNU parallel is a failure, never a skip.
"""
import os
import shutil
import subprocess
import sys
import tempfile

TRICKY = ["a b", "it's", 'x"y', "$HOME", "a\\b", "tab\tx", "*", "~", "é", "", "semi;colon", "-n",
          "back`tick", "!bang", "#hash", "a=b", "%", "^", "{}", "a&b", "(p)", "[b]", "c,d", "a|b", "a<b",
          "a?b", "'lead", "trail'", "plain-_.+/AZ09"]
PATHS = ["/a/b/c.tar.gz", "rel/x.y", "noext", "./d.e/f", "/top", ".hidden", "a/", "a.", "/", "//a",
         "a//b", "dir.x/file", "x.y.z/"]

# name: (args, stdin, checks) -- checks: "out" stdout, "rc" exit status, "err" stderr (with
# "parallel:" read as "prun:"), "joblog" joblog columns but times, "results" the results tree.
GROUPS = {
    "quoting": [
        # -k: without it GNU parallel prints dry-run lines in the order its job slots free up.
        ("dry-run quotes values", ["-k", "--dry-run", "echo", ":::"] + TRICKY, b"", "out rc"),
        ("dry-run appends {}", ["--dry-run", "echo", ":::", "a"], b"", "out rc"),
        ("command words are joined unquoted", ["--dry-run", "echo", "a b", "{}; ls", ":::", "x y"], b"", "out rc"),
        ("quoted inside quotes too", ["--dry-run", 'echo "{}" \'{}\'', ":::", "a b"], b"", "out rc"),
        ("the shell sees each value whole", ["-k", "-j1", "printf", "[%s]\\n", ":::"] + TRICKY, b"", "out rc"),
    ],
    "replacement": [
        ("path replacement strings", ["-k", "--dry-run", "echo", "{}", "{.}", "{/}", "{//}", "{/.}", "{#}", ":::"] + PATHS, b"", "out rc"),
        ("positional", ["-k", "--dry-run", "echo", "{2}", "{1}", "{-1}", "{1.}", "{2/}", "{2//}", "{2/.}", "{3}", ":::", "a.b", "c",
                        ":::", "/x/y.z"], b"", "out rc"),
        ("not replacement strings", ["--dry-run", "echo", "{ }", "{x}", "{1x}", "{}}", "{{}}", ":::", "a"], b"", "out rc"),
        ("{#} and {%} alone: nothing appended", ["-k", "-j1", "echo", "{#}", "{%}", ":::", "a", "b", "c"], b"", "out rc"),
        ("several arguments in context", ["-k", "--dry-run", "echo", "x{}y", "{.}", ":::", "a.1", ":::", "b c.2"], b"", "out rc"),
    ],
    "inputs": [
        ("::: product", ["-k", "echo", ":::", "a", "b", ":::", "1", "2", ":::", "X", "Y"], b"", "out rc"),
        (":::+ pairs", ["-k", "echo", ":::", "a", "b", "c", ":::+", "1", "2"], b"", "out rc"),
        (":::+ inside a product", ["-k", "echo", ":::", "a", "b", ":::", "x", "y", ":::+", "1", "2"], b"", "out rc"),
        ("empty sources", ["-k", "echo", "[{1}]", "[{2}]", ":::", ":::", "a", "b"], b"", "out rc"),
        ("all sources empty", ["-k", "echo", ":::", ":::"], b"", "out rc"),
        ("standard input lines", ["-k", "echo"], b"a b\n\nc\nlast", "out rc"),
        ("-0", ["-k", "-0", "echo"], b"a b\0c\nd\0", "out rc"),
        ("-d", ["-k", "-d", ":", "echo"], b"a:b:c", "out rc"),
        ("-d escape", ["-k", "-d", "\\t", "echo", "[{}]"], b"a\tb\tc", "out rc"),
        ("--colsep", ["-k", "--colsep", ",", "echo", "{2}-{1}", "[{3}]"], b"a,b\nc,d,e\n,f,\n", "out rc"),
        ("--colsep regex", ["-k", "--colsep", " +", "echo", "{3}", "{1}"], b"a b  c\n", "out rc"),
        ("-n 2", ["-k", "-n", "2", "echo", "{1}+{2}", "{}"], b"a\nb\nc\nd\ne\n", "out rc"),
        ("-a files and :::: files", ["-k", "-a", "f1", "echo", "::::", "f2", ":::", "q"], b"", "out rc"),
        ("::::+ pairs files", ["-k", "echo", "::::", "f1", "::::+", "f2"], b"", "out rc"),
        (":::: - is standard input", ["-k", "echo", "::::", "-", ":::", "q"], b"s\nt\n", "out rc"),
        ("commands from standard input", ["-k"], b"echo a\necho 'b c'\n", "out rc"),
        ("commands from :::", ["-k", ":::", "echo a", "echo \"b c\""], b"", "out rc"),
    ],
    "output": [
        ("-k keeps the order", ["-k", "-j4", "sleep {}; echo {}", ":::", "0.3", "0.1", "0.2", "0"], b"", "out rc"),
        ("--tag", ["-k", "--tag", "printf", "x\\ny\\n", ":::", "a b", "c"], b"", "out rc"),
        ("--tag with several sources", ["-k", "--tag", "echo", ":::", "a", "b", ":::", "1"], b"", "out rc"),
        ("--tag and no final newline", ["-k", "--tag", "printf", "x\\ny", ":::", "a", "b"], b"", "out rc"),
        ("--tag after a carriage return", ["-k", "--tag", "printf", "a\\rb\\n", ":::", "t"], b"", "out rc"),
        ("--tagstring", ["-k", "--tagstring", "<{}>-{#}", "echo", "hi", ":::", "a", "b c"], b"", "out rc"),
        ("--dry-run --tag", ["-k", "--dry-run", "--tag", "echo", ":::", "a", "b c"], b"", "out rc"),
        ("-k --lb", ["-k", "--lb", "--tag", "printf", "x\\ny", ":::", "a", "b"], b"", "out rc"),
        ("stdout and stderr", ["-k", "-j1", "echo out {}; echo err {} >&2", ":::", "a", "b"], b"", "out err rc"),
    ],
    "exit": [
        ("exit statuses", ["exit {}", ":::", "0", "1", "2"], b"", "rc"),
        ("all succeed", ["exit {}", ":::", "0", "0"], b"", "rc"),
        ("100 failures", ["-j4", "false"], b"x\n" * 100, "rc"),
        ("101 failures", ["-j4", "false"], b"x\n" * 101, "rc"),
        ("150 failures", ["-j4", "false"], b"x\n" * 150, "rc"),
        ("a signal is a failure", ["kill -9 $$; : {}", ":::", "1", "2"], b"", "rc"),
        # GNU parallel prints its usage on stdout here; prun names the mistake on stderr only.
        ("unknown option", ["--frobnicate", "echo", ":::", "a"], b"", "rc"),
        ("bad -j", ["-j", "x", "echo", ":::", "a"], b"", "rc"),
        ("missing input file", ["echo", "::::", "/no/such/file"], b"", "out rc"),
        ("bad --halt", ["--halt", "later", "echo", ":::", "a"], b"", "out rc"),
    ],
    "joblog": [
        ("joblog columns", ["-k", "-j1", "--joblog", "JOBLOG", "echo {}; exit {}", ":::", "0", "3", "2 x"], b"", "out rc joblog"),
        ("joblog of a signal", ["-j1", "--joblog", "JOBLOG", "kill -TERM $$; : {}", ":::", "1"], b"", "rc joblog"),
        ("joblog of a newline", ["-j1", "--joblog", "JOBLOG", "-0", "echo"], b"a\nb\0", "out rc joblog"),
        ("--resume", ["-k", "-j1", "--joblog", "JOBLOG", "--resume", "echo", "{#}", "{}", ":::", "a", "b", "c", "d"],
         b"", "out rc joblog", ["-k", "-j1", "--joblog", "JOBLOG", "echo", "{#}", "{}", ":::", "a", "b"]),
        ("--resume-failed", ["-k", "-j1", "--joblog", "JOBLOG", "--resume-failed", "echo {#} {}; test {} != b", ":::", "a", "b", "c"],
         b"", "out rc joblog", ["-k", "-j1", "--joblog", "JOBLOG", "echo {#} {}; test {} != b", ":::", "a", "b"]),
        ("+joblog appends", ["-k", "-j1", "--joblog", "+JOBLOG", "echo", ":::", "c"], b"", "out rc joblog",
         ["-k", "-j1", "--joblog", "JOBLOG", "echo", ":::", "a"]),
    ],
    "results": [
        ("--results tree", ["-k", "-j1", "--results", "res", "echo out {}; echo err {} >&2", ":::", "a", "b/c", "d e", ":::", "1"],
         b"", "out rc results"),
        ("--results with replacement strings", ["-k", "-j1", "--results", "res/{}/out", "echo", ":::", "x", "y"], b"", "out rc results"),
    ],
    "control": [
        ("--halt now,fail=1", ["-j1", "--halt", "now,fail=1", "echo {}; exit {}", ":::", "0", "3", "0"], b"", "out err rc"),
        ("--halt soon,fail=1", ["-j1", "--halt", "soon,fail=1", "echo {}; exit {}", ":::", "0", "4", "0"], b"", "out err rc"),
        ("--halt soon,fail=2", ["-j1", "--halt", "soon,fail=2", "exit {}", ":::", "0", "4", "0", "5", "0"], b"", "err rc"),
        ("--halt now,success=1", ["-j1", "--halt", "now,success=1", "echo {}; exit {}", ":::", "1", "0", "1"], b"", "out err rc"),
        ("--halt 50%", ["-j1", "--halt", "soon,fail=50%", "exit {}", ":::", "1", "0", "1", "0"], b"", "rc"),
        ("--retries", ["-k", "-j1", "--retries", "3", "--joblog", "JOBLOG", "echo try; echo x >> count; test $(wc -l < count) -ge 2",
                       ":::", "a"], b"", "out rc joblog"),
        ("--retries that never succeed", ["-k", "-j1", "--retries", "2", "echo try {}; false", ":::", "a", "b"], b"", "out rc"),
        ("--timeout", ["-k", "-j2", "--joblog", "JOBLOG", "--timeout", "1", "echo s{}; sleep {}; echo e{}", ":::", "0.1", "5"],
         b"", "out rc joblog"),
    ],
}


def joblog_columns(path):
    if not os.path.exists(path):
        return None
    rows = []
    with open(path, "rb") as f:
        for line in f.read().split(b"\n"):
            if not line:
                continue
            cols = line.split(b"\t")
            rows.append(cols[:2] + cols[4:])  # Starttime and JobRuntime vary
    return rows


def tree(root):
    if not os.path.exists(root):
        return None
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            out[os.path.relpath(p, root)] = open(p, "rb").read()
    return out


def run(tool, args, stdin, workdir, env):
    p = subprocess.run([tool] + args, input=stdin, cwd=workdir, env=env, capture_output=True, timeout=120)
    return p


def prepare(workdir):
    with open(os.path.join(workdir, "f1"), "w") as f:
        f.write("1\n2\n")
    with open(os.path.join(workdir, "f2"), "w") as f:
        f.write("x\ny\nz\n")


def main():
    prun, group = sys.argv[1], sys.argv[2]
    parallel = shutil.which("parallel")
    if not parallel:
        sys.exit("GNU parallel is not installed (apt-get install parallel; ./dev.sh installs it): cannot compare")
    version = subprocess.run([parallel, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    if not version.startswith("GNU parallel"):
        sys.exit(f"{parallel} is not GNU parallel: {version}")
    groups = GROUPS if group == "all" else {group: GROUPS[group]}
    failures = 0
    cases = 0
    with tempfile.TemporaryDirectory() as home:
        os.makedirs(os.path.join(home, ".parallel"))
        open(os.path.join(home, ".parallel", "will-cite"), "w").close()
        env = dict(os.environ, PARALLEL_SHELL="/bin/sh", PARALLEL_HOME=os.path.join(home, ".parallel"), HOME=home, LC_ALL="C.UTF-8")
        env.pop("PARALLEL", None)
        for gname, group_cases in groups.items():
            for case in group_cases:
                name, args, stdin, checks = case[:4]
                before = case[4] if len(case) > 4 else None
                cases += 1
                got = {}
                for tool, label in ((parallel, "gnu"), (prun, "prun")):
                    with tempfile.TemporaryDirectory() as work:
                        prepare(work)
                        joblog = os.path.join(work, "joblog")
                        fix = lambda a: [x.replace("JOBLOG", joblog) for x in a]
                        if before:
                            run(tool, fix(before), b"", work, env)
                        p = run(tool, fix(args), stdin, work, env)
                        got[label] = {
                            "out": p.stdout,
                            "err": p.stderr.replace(b"parallel: ", b"prun: ").replace(joblog.encode(), b"JOBLOG"),
                            "rc": p.returncode,
                            "joblog": [[c.replace(joblog.encode(), b"JOBLOG") for c in r] for r in joblog_columns(joblog) or []],
                            "results": tree(os.path.join(work, "res")),
                        }
                bad = [c for c in checks.split() if got["gnu"][c] != got["prun"][c]]
                if bad:
                    failures += 1
                    print(f"FAIL {gname}: {name}: {' '.join(args)!r}")
                    for c in bad:
                        print(f"  {c}: GNU parallel: {got['gnu'][c]!r}")
                        print(f"  {c}: prun:         {got['prun'][c]!r}")
                else:
                    print(f"ok   {gname}: {name}")
    print(f"{cases - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
