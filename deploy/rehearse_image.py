#!/usr/bin/env python3
"""Rehearses deploy/Dockerfile's runtime stage for real, without a Docker engine: a chroot built the
way the stage says, then the image's default command run in it as the image's user.

    sudo deploy/rehearse_image.py [--cohort-bin PATH] [--keep] [--refresh-base]

Needs root (debootstrap, chroot, mount), debootstrap (`apt-get install debootstrap`) and Debian's
package mirrors (the stage's own `apt-get install`). A documented command run by hand, not part of
the test suite. What it does, reading the Dockerfile (not a copy of it):

1. parses the stages; the runtime is the last one. The builder's output that the runtime copies
   (`COPY --from=builder /out/cohort`, put there by the builder's `install ... target/release/cohort
   /out/cohort`) is stood in for by this machine's release build, `$CARGO_TARGET_DIR/release/cohort`
   (scripts/env.sh's default). That is only faithful when this machine is what the builder image
   is, so the script checks it: the Debian release of `FROM rust:<version>-<release>` is this
   machine's, and the Rust version embedded in the binary is the image's;
2. bootstraps the runtime's base, `debootstrap --variant=minbase <release>` (Docker's Debian images
   are built from that variant; `-slim` drops documentation and locales besides), with the image's
   apt sources (the release, its updates and security suites), cached as a tarball under
   `${XDG_CACHE_HOME:-~/.cache}/cohort/image-rehearsal/` so reruns only unpack it;
3. applies the runtime stage's instructions in order: `RUN` in the chroot (`/bin/sh -c`, with /proc,
   a Docker-like /dev and /sys mounted, and the host's resolv.conf as Docker provides one), `COPY`
   (from the builder: the stand-in; from the repository: the file, with `--chmod`/`--chown`
   honoured and the .dockerignore respected), `WORKDIR`, `USER`, `ENV`, `ENTRYPOINT`, `CMD`;
4. as the `USER` (`chroot --userspec`) in the `WORKDIR`, runs `ENTRYPOINT` + `CMD` exactly as written
   (the README's demo run) and checks it exits 0 and wrote serving.db (with a checkpoint) and Parquet
   files into its data directory; runs `--version` and `run --help`; and runs the start script the
   image ships for Kubernetes, `cohort-cluster-start`, as pod cohort-1 of 3 with `echo` standing in
   for cohort (the command line it would exec) and as pod cohort-0 of 1 with the real binary;
5. prints a summary and exits 1 with the reason at the first failure.

What it does not prove: that the builder stage builds (its `cargo build --release --locked -p
cohort-jobs` on rust:1.95-bookworm; the stand-in is built with the workspace's features), the image's
layering and metadata as Docker assembles them, or anything about the base images' digests on
Docker Hub.
"""

import argparse
import json
import mmap
import os
import re
import shlex
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from fnmatch import fnmatch
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Docker's default PATH for Linux containers (the Debian images set no other).
DOCKER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The apt sources of Docker's Debian images (/etc/apt/sources.list.d/debian.sources).
APT_SOURCES = """Types: deb
URIs: {mirror}
Suites: {release} {release}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: {security}
Suites: {release}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


class Failure(Exception):
    """A step failed; the message says which and why."""


def step(message):
    print(f"== {message}", flush=True)


def mounted_under(path):
    """Mount points below `path` (a tree with mounts must not be deleted: that would reach into them)."""
    prefix = str(path) + "/"
    return [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()
            if line.split()[1].startswith(prefix)]


def remove(path):
    """Deletes `path` unless something is still mounted below it (then says so and leaves it)."""
    mounted = mounted_under(path)
    if mounted:
        print(f"still mounted, so {path} is left in place: {mounted}", file=sys.stderr)
    else:
        shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# The Dockerfile


def logical_lines(text):
    """The Dockerfile's instructions as single lines: comments dropped (also inside continuations,
    as BuildKit does), backslash continuations joined."""
    if re.search(r"^#\s*escape\s*=", text, re.M):
        raise Failure("the Dockerfile sets an escape directive; this script knows only `\\`")
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and current):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        if current.strip():
            lines.append(current.strip())
        current = ""
    if current.strip():
        lines.append(current.strip())
    return lines


def parse_instruction(line):
    """(INSTRUCTION, {flag: value}, args): args is a list for the JSON (exec) form, else a string."""
    word, _, rest = line.partition(" ")
    rest = rest.strip()
    if rest.startswith("<<"):
        raise Failure(f"heredocs are not supported: {line[:60]}")
    flags = {}
    while (m := re.match(r"--([a-z-]+)=(\S+)\s+", rest)):
        flags[m.group(1)] = m.group(2)
        rest = rest[m.end():]
    if rest.startswith("["):
        try:
            value = json.loads(rest)
        except ValueError:
            value = None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return word.upper(), flags, value
    return word.upper(), flags, rest


def parse_stages(path):
    stages = []
    for line in logical_lines(path.read_text()):
        cmd, flags, args = parse_instruction(line)
        if cmd == "FROM":
            words = args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append({"image": words[0], "name": name, "cmds": []})
        elif not stages:
            raise Failure(f"{path}: {cmd} before the first FROM")
        else:
            stages[-1]["cmds"].append((cmd, flags, args))
    if len(stages) < 2:
        raise Failure(f"{path}: expected a builder stage and a runtime stage, found {len(stages)} stage(s)")
    return stages


def builder_outputs(builder, target_dir):
    """Where each file the builder installs from cargo's target directory comes from here:
    `install ... target/release/NAME DEST` in a builder RUN makes DEST stand for the host's build."""
    outputs = {}
    for cmd, _, args in builder["cmds"]:
        if cmd == "RUN":
            text = args if isinstance(args, str) else " ".join(args)
            for m in re.finditer(r"\binstall\b[^&;|]*?\btarget/(release/\S+)\s+(/\S+)", text):
                outputs[m.group(2)] = target_dir / m.group(1)
    return outputs


def embedded_rustc_version(binary):
    """The rustc version a Rust binary records in its .comment section (`rustc version X.Y.Z`)."""
    with open(binary, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        m = re.search(rb"rustc version (\d+\.\d+\.\d+)", data)
        return m.group(1).decode() if m else None


def check_stand_in(builder, runtime, binary):
    """The stand-in is faithful only if this machine is what the builder image is."""
    m = re.fullmatch(r"rust:(\d+\.\d+)(?:\.\d+)?-([a-z]+)", builder["image"])
    if not m:
        raise Failure(f"builder image {builder['image']}: expected rust:<version>-<debian release>")
    rust, release = m.groups()
    os_release = Path("/etc/os-release").read_text()
    if f"VERSION_CODENAME={release}" not in os_release:
        raise Failure(f"the builder is Debian {release}, this machine is not: its binary would link other "
                      "libraries than the image's; rehearse on a Debian {release} machine")
    built_with = embedded_rustc_version(binary)
    if built_with is None or not built_with.startswith(rust + "."):
        raise Failure(f"{binary} was built with rustc {built_with}, the builder image has Rust {rust}")
    runtime_release = re.fullmatch(r"debian:([a-z]+)(?:-slim)?", runtime["image"])
    if not runtime_release or runtime_release.group(1) != release:
        raise Failure(f"runtime image {runtime['image']} is not Debian {release}, the builder's release")
    return release, built_with


# ---------------------------------------------------------------------------------------------------
# The chroot


def run(argv, what, timeout=None, log=None, env=None):
    """Runs argv; a non-zero exit or a timeout is a Failure naming `what` (with the log's tail)."""
    out = open(log, "w") if log else subprocess.PIPE
    try:
        r = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise Failure(f"{what}: no exit within {timeout} s" + (f" (log: {log})" if log else ""))
    finally:
        if log:
            out.close()
    output = Path(log).read_text(errors="replace") if log else r.stdout
    if r.returncode != 0:
        tail = "\n".join(output.splitlines()[-25:])
        raise Failure(f"{what} exited {r.returncode}:\n{tail}")
    return output


def base_tarball(cache, release, mirror, security, refresh, logs):
    """The bootstrapped base of `release` as a tarball, made once."""
    tarball = cache / f"debian-{release}-minbase.tar"
    if tarball.exists() and not refresh:
        step(f"base: cached {tarball}")
        return tarball
    if shutil.which("debootstrap") is None:
        raise Failure("debootstrap not found: apt-get install -y debootstrap")
    cache.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f"debootstrap-{release}-", dir=cache))
    try:
        step(f"base: debootstrap --variant=minbase {release} (once; a few minutes)")
        run(["debootstrap", "--variant=minbase", release, str(build), mirror],
            "debootstrap", timeout=3600, log=logs / "debootstrap.log")
        (build / "etc/apt/sources.list").unlink(missing_ok=True)
        sources = build / "etc/apt/sources.list.d/debian.sources"
        sources.write_text(APT_SOURCES.format(mirror=mirror, security=security, release=release))
        shutil.rmtree(build / "var/cache/apt/archives", ignore_errors=True)
        (build / "var/cache/apt/archives/partial").mkdir(parents=True)
        partial = tarball.with_suffix(".tar.partial")
        run(["tar", "--numeric-owner", "--xattrs", "-C", str(build), "-cpf", str(partial), "."], "tar of the base")
        partial.rename(tarball)
    finally:
        remove(build)
    return tarball


class Chroot:
    """The image's root filesystem with what Docker mounts into a running container; unmounted on
    exit, whatever happened."""

    def __init__(self, root):
        self.root, self.mounts = root, []

    def __enter__(self):
        return self

    def mount(self, argv, target):
        target.mkdir(parents=True, exist_ok=True)
        run(["mount", *argv, str(target)], f"mount {target}")
        self.mounts.append(target)

    def mount_runtime(self):
        """/proc, a /dev of Docker's device nodes on a tmpfs (nothing of the host's /dev), /sys
        read-only, and a resolv.conf as Docker provides one."""
        self.mount(["-t", "proc", "proc"], self.root / "proc")
        dev = self.root / "dev"
        self.mount(["-t", "tmpfs", "-o", "mode=755,nosuid", "tmpfs"], dev)
        for name, major, minor in [("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8),
                                   ("urandom", 1, 9), ("tty", 5, 0)]:
            os.mknod(dev / name, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
            os.chmod(dev / name, 0o666)
        for name, target in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                             ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")]:
            os.symlink(target, dev / name)
        (dev / "shm").mkdir(mode=0o1777)
        os.chmod(dev / "shm", 0o1777)
        self.mount(["-t", "sysfs", "-o", "ro", "sysfs"], self.root / "sys")
        resolv = self.root / "etc/resolv.conf"
        resolv.unlink(missing_ok=True)
        shutil.copyfile("/etc/resolv.conf", resolv)

    def __exit__(self, *exc):
        for target in reversed(self.mounts):
            subprocess.run(["umount", "--lazy", str(target)], check=False)
        return False


class Image:
    """The runtime stage applied to a chroot: the state the instructions build up."""

    def __init__(self, root, context, outputs, builder_name, ignore, logs):
        self.root, self.context, self.outputs, self.builder_name, self.logs = root, context, outputs, builder_name, logs
        self.env = {"PATH": DOCKER_PATH}
        self.workdir, self.user = "/", "0:0"
        self.entrypoint, self.cmd, self.exposed, self.copied = [], [], [], []
        self.runs = 0
        self.ignored = [ln.strip().strip("/") for ln in ignore.read_text().splitlines()
                        if ln.strip() and not ln.startswith("#")] if ignore.exists() else []
        if any(p.startswith("!") for p in self.ignored):
            raise Failure(f"{ignore.name}: exceptions (!) are not supported by this script")

    def excluded(self, src):
        """Whether the .dockerignore keeps `src` out of the build context: a pattern matches the path or
        one of its parent directories (`**/` any number of them)."""
        parts = src.strip("/").split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        for pattern in self.ignored:
            if pattern.startswith("**/"):
                if any(fnmatch(part, pattern[3:]) for part in parts):
                    return True
            elif any(p.count("/") == pattern.count("/") and fnmatch(p, pattern) for p in prefixes):
                return True
        return False

    def ids(self, user=None):
        """(uid, gid, home) of a USER value, names looked up in the image's passwd and group."""
        name, _, group = (user or self.user).partition(":")
        passwd = [ln.split(":") for ln in (self.root / "etc/passwd").read_text().splitlines()]
        entry = next((p for p in passwd if name in (p[0], p[2])), None)
        if entry is None and not name.isdigit():
            raise Failure(f"USER {name}: no such user in the image")
        uid = int(entry[2]) if entry else int(name)
        gid = int(entry[3]) if entry and not group else None
        if group:
            groups = [ln.split(":") for ln in (self.root / "etc/group").read_text().splitlines()]
            found = next((g for g in groups if group in (g[0], g[2])), None)
            gid = int(found[2]) if found else int(group)
        return uid, gid if gid is not None else uid, entry[5] if entry else "/"

    def chroot(self, argv, env=None, user=None, workdir=None):
        """argv run in the image as USER in WORKDIR, with only the image's environment (+ env)."""
        uid, gid, home = self.ids(user)
        variables = {"HOME": home, "HOSTNAME": "cohort-rehearsal"} | self.env | (env or {})
        return (["chroot", f"--userspec={uid}:{gid}", f"--groups={gid}", str(self.root),
                 "/usr/bin/env", "-i", "-C", workdir or self.workdir]
                + [f"{k}={v}" for k, v in variables.items()] + argv)

    def apply(self, cmd, flags, args):
        if cmd == "RUN":
            if flags:
                raise Failure(f"RUN flags {flags} are not rehearsed")
            argv = args if isinstance(args, list) else ["/bin/sh", "-c", args]
            self.runs += 1
            log = self.logs / f"run-{self.runs}.log"
            step(f"RUN {shlex.join(argv)[:100]}...  (log: {log})")
            run(self.chroot(argv), f"RUN #{self.runs}", timeout=1800, log=log)
        elif cmd == "COPY":
            self.copy(flags, args if isinstance(args, list) else shlex.split(args))
        elif cmd == "WORKDIR":
            self.workdir = os.path.join(self.workdir, args)
            (self.root / self.workdir.lstrip("/")).mkdir(parents=True, exist_ok=True)
        elif cmd == "USER":
            self.user = args
            self.ids()  # the user must exist now
        elif cmd == "ENV":
            for key, value in re.findall(r'(\w+)=("[^"]*"|\S+)', args):
                self.env[key] = value.strip('"')
        elif cmd == "EXPOSE":
            self.exposed += args.split()
        elif cmd in ("ENTRYPOINT", "CMD"):
            argv = args if isinstance(args, list) else ["/bin/sh", "-c", args]
            if cmd == "ENTRYPOINT":
                self.entrypoint, self.cmd = argv, []  # as Docker: a new ENTRYPOINT resets CMD
            else:
                self.cmd = argv
        elif cmd in ("LABEL", "STOPSIGNAL", "HEALTHCHECK", "VOLUME", "ARG"):
            step(f"{cmd}: image metadata, not rehearsed")
        else:
            raise Failure(f"the runtime stage's {cmd} is not known to this script")
        if cmd != "RUN":
            step(f"{cmd} {shlex.join(args) if isinstance(args, list) else args}")

    def copy(self, flags, words):
        *sources, dest = words
        from_stage = flags.pop("from", None)
        chmod, chown = flags.pop("chmod", None), flags.pop("chown", None)
        if flags:
            raise Failure(f"COPY flags {flags} are not rehearsed")
        into_dir = dest.endswith("/") or len(sources) > 1
        for src in sources:
            if from_stage is not None:
                if from_stage != self.builder_name or src not in self.outputs:
                    raise Failure(f"COPY --from={from_stage} {src}: no stand-in for it (builder outputs: "
                                  f"{sorted(self.outputs)})")
                host = self.outputs[src]
            else:
                host = self.context / src
                if self.excluded(src):
                    raise Failure(f"COPY {src}: excluded from the build context by Dockerfile.dockerignore")
            if not host.is_file():
                raise Failure(f"COPY {src}: {host} is not a file" + (" (build it: cargo build --release)"
                                                                      if from_stage else ""))
            target = self.root / dest.lstrip("/") / host.name if into_dir else self.root / dest.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(host, target)
            os.chmod(target, int(chmod, 8) if chmod else host.stat().st_mode & 0o7777)
            uid, gid = (0, 0) if chown is None else self.ids(chown)[:2]
            os.chown(target, uid, gid)
            self.copied.append("/" + str(target.relative_to(self.root)))


# ---------------------------------------------------------------------------------------------------
# Checks of the assembled image


def data_dir_of(run_args, workdir):
    """The data directory of a `cohort run` command line: its --data-dir, else cohort's default
    `cohort-data` in the working directory."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--data-dir", default=os.path.join(workdir, "cohort-data"))
    return parser.parse_known_args(run_args)[0].data_dir


def check_default_run(image, timeout, summary):
    """ENTRYPOINT + CMD as written, as USER in WORKDIR: exit 0, serving.db and Parquet files."""
    argv = image.entrypoint + image.cmd
    step(f"default command as uid:gid {image.user} in {image.workdir}: {shlex.join(argv)}")
    log = image.logs / "default-run.log"
    started = time.monotonic()
    output = run(image.chroot(argv), "the image's default command", timeout=timeout, log=log)
    seconds = time.monotonic() - started
    data_dir = data_dir_of(image.cmd, image.workdir)
    data = image.root / data_dir.lstrip("/")
    db = data / "serving.db"
    if not db.is_file():
        raise Failure(f"the default command wrote no {data_dir}/serving.db")
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        checkpoints = conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0]
    parquet = list((data / "lake").rglob("*.parquet"))
    if checkpoints == 0 or not parquet:
        raise Failure(f"{data_dir}: {checkpoints} checkpoints, {len(parquet)} Parquet files")
    uid = image.ids()[0]
    foreign = [p for p in [db, *parquet] if p.stat().st_uid != uid]
    if foreign:
        raise Failure(f"{len(foreign)} output files not owned by the image's user {uid}: {foreign[0]}")
    finished = [ln.strip() for ln in output.splitlines()
                if ln.strip().startswith(("cohort run finished", "records read", "committed"))]
    summary.append(f"default command `{shlex.join(argv)}`: exit 0 in {seconds:.0f} s")
    summary += [f"  {ln}" for ln in finished]
    summary.append(f"  {data_dir}: serving.db with {checkpoints} checkpoint(s), {len(parquet)} Parquet files, "
                   f"owned by uid {uid}")


def check_user(image, summary):
    """USER names the image's own user and its primary group, as Kubernetes' runAsUser/runAsGroup do."""
    uid, gid, home = image.ids()
    passwd = {int(p[2]): p for p in (ln.split(":") for ln in (image.root / "etc/passwd").read_text().splitlines())}
    groups = {int(g[2]): g[0] for g in (ln.split(":") for ln in (image.root / "etc/group").read_text().splitlines())}
    entry = passwd.get(uid)
    if entry is None:
        raise Failure(f"USER {image.user}: uid {uid} has no entry in the image's /etc/passwd")
    if int(entry[3]) != gid or gid not in groups:
        raise Failure(f"USER {image.user}: the image's user {entry[0]} has primary group {entry[3]} "
                      f"({groups.get(int(entry[3]), 'unnamed')}), and group {gid} is "
                      f"{groups.get(gid, 'in no /etc/group entry')}")
    summary.append(f"USER {image.user} is {entry[0]}:{groups[gid]} (home {home}) in the image")


def check_cli(image, summary):
    """`docker run IMAGE --version` and `docker run IMAGE run --help`: the arguments replace CMD."""
    version = run(image.chroot(image.entrypoint + ["--version"]), "cohort --version").strip()
    helptext = run(image.chroot(image.entrypoint + ["run", "--help"]), "cohort run --help")
    if "--processes" not in helptext or "--data-dir" not in helptext:
        raise Failure(f"`run --help` lacks --processes or --data-dir:\n{helptext}")
    summary.append(f"`{shlex.join(image.entrypoint)} --version`: {version}; `run --help` lists the cluster "
                   "flags (--processes)")


def check_start_script(image, summary):
    """The Kubernetes start script the image ships: present, executable, and what it execs."""
    script = next((c for c in image.copied if "cluster-start" in c), None)
    if script is None:
        raise Failure("the image has no cohort-cluster-start (COPY of deploy/kubernetes/cohort-cluster-start.sh)")
    path = image.root / script.lstrip("/")
    if not path.stat().st_mode & 0o001:
        raise Failure(f"{script} is not executable by everyone (mode {oct(path.stat().st_mode)})")
    name = Path(script).name
    pod = {"COHORT_CLUSTER_SERVICE": "cohort", "POD_NAMESPACE": "analytics", "COHORT_DNS_WAIT_SECS": "0",
           "COHORT_HOSTFILE": "/tmp/cohort-hosts"}
    # Pod cohort-1 of 3, echo standing in for cohort: the command line it would exec.
    printed = run(image.chroot([name, "--config", "/etc/cohort/cohort.toml"],
                               env=pod | {"COHORT_PROCESSES": "3", "POD_NAME": "cohort-1", "COHORT_BIN": "echo"}),
                  f"{name} as pod cohort-1 of 3")
    execs = printed.strip().splitlines()[-1]
    want = "run --processes 3 --process 1 --hosts /tmp/cohort-hosts --config /etc/cohort/cohort.toml"
    if execs != want:
        raise Failure(f"{name} as cohort-1 of 3 would exec `cohort {execs}`, expected `cohort {want}`")
    hosts = (image.root / "tmp/cohort-hosts").read_text().split()
    if hosts != [f"cohort-{i}.cohort.analytics.svc.cluster.local:2101" for i in range(3)]:
        raise Failure(f"{name} wrote the hostfile {hosts}")
    summary.append(f"{script} (mode {oct(path.stat().st_mode & 0o777)}) as pod cohort-1 of 3 would exec: "
                   f"cohort {execs}")
    # Pod cohort-0 of a 1-process cluster with the real binary: the flags it passes are accepted.
    out = run(image.chroot([name, "--source", "generate", "--events", "20000", "--data-dir", "/tmp/start-check"],
                           env=pod | {"COHORT_PROCESSES": "1", "POD_NAME": "cohort-0"}),
              f"{name} as pod cohort-0 of 1", timeout=600)
    if "cohort run finished" not in out:
        raise Failure(f"{name} as cohort-0 of 1 did not finish a run:\n{out[-2000:]}")
    summary.append(f"{script} as pod cohort-0 of 1 with the real cohort: a 20,000-event run finished, exit 0")


# ---------------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    target = Path(os.environ.get("CARGO_TARGET_DIR") or cache_home / "cohort/target")
    parser.add_argument("--dockerfile", type=Path, default=HERE / "Dockerfile")
    parser.add_argument("--context", type=Path, default=HERE.parent, help="the build context (repository root)")
    parser.add_argument("--target-dir", type=Path, default=target, help="cargo's target directory (the stand-in)")
    parser.add_argument("--cache", type=Path, default=cache_home / "cohort/image-rehearsal")
    parser.add_argument("--mirror", default="http://deb.debian.org/debian")
    parser.add_argument("--security-mirror", default="http://deb.debian.org/debian-security")
    parser.add_argument("--timeout", type=int, default=900, help="seconds the default command may take")
    parser.add_argument("--refresh-base", action="store_true", help="bootstrap the base again")
    parser.add_argument("--keep", action="store_true", help="keep the root filesystem and logs")
    a = parser.parse_args()
    # SIGTERM unwinds like an error, so the mounts are undone.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    summary = []
    work = Path(tempfile.mkdtemp(prefix="cohort-rehearsal-"))
    root, logs = work / "root", work / "logs"
    logs.mkdir()
    try:
        if os.geteuid() != 0:
            raise Failure("needs root (debootstrap, chroot, mount): run it with sudo")
        stages = parse_stages(a.dockerfile)
        builder, runtime = stages[0], stages[-1]
        step("stages: " + ", ".join(f"{s['name'] or i} (FROM {s['image']}, {len(s['cmds'])} instructions)"
                                    for i, s in enumerate(stages)))
        outputs = builder_outputs(builder, a.target_dir)
        if not outputs:
            raise Failure("the builder installs nothing from target/release into the image's reach")
        for dest, host in outputs.items():
            if not host.is_file():
                raise Failure(f"the builder's {dest} stands for {host}, which does not exist: "
                              "cargo build --release --workspace first (scripts/env.sh's CARGO_TARGET_DIR)")
        release, rustc = check_stand_in(builder, runtime, next(iter(outputs.values())))
        summary.append(f"builder stage ({builder['image']}) stood in for by this Debian {release} machine's "
                       f"build (rustc {rustc}): " + ", ".join(f"{d} = {h}" for d, h in outputs.items()))
        tarball = base_tarball(a.cache, release, a.mirror, a.security_mirror, a.refresh_base, logs)
        root.mkdir()
        run(["tar", "--numeric-owner", "--xattrs", "-C", str(root), "-xpf", str(tarball)], "unpacking the base")
        os.chmod(root, 0o755)  # "/" as in an image (the bootstrap ran in a private temporary directory)
        summary.append(f"runtime stage (FROM {runtime['image']}) on debootstrap --variant=minbase {release} "
                       f"({tarball})")
        with Chroot(root) as chroot:
            chroot.mount_runtime()
            ignore = a.dockerfile.with_name(a.dockerfile.name + ".dockerignore")
            image = Image(root, a.context.resolve(), outputs, builder["name"], ignore, logs)
            for cmd, flags, args in runtime["cmds"]:
                image.apply(cmd, dict(flags), args)
            summary.append(f"applied {len(runtime['cmds'])} instructions ({image.runs} RUN); copied "
                           f"{', '.join(image.copied)}; USER {image.user}, WORKDIR {image.workdir}, "
                           f"EXPOSE {' '.join(image.exposed)}")
            check_user(image, summary)
            check_cli(image, summary)
            check_default_run(image, a.timeout, summary)
            check_start_script(image, summary)
    except Failure as e:
        print(f"\nrehearse_image: FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        if a.keep:
            print(f"kept (root filesystem and logs): {work}")
        else:
            remove(work)
    print("\nrehearse_image: OK\n" + "\n".join(line if line.startswith(" ") else f"- {line}" for line in summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
