//! The deployment artefacts under `deploy/` work with the `cohort` they deploy.
//!
//! `deploy/check_deploy.py` (run with the project's virtualenv, which `scripts/ensure-python.sh`
//! sets up) checks what needs YAML and the outside tools: the Kubernetes manifests against
//! Kubernetes' schemas (strict) and against each other (serviceName, selectors, probes, ports,
//! volumes, the ConfigMap and Secret they reference), the start script's hostfile and command line
//! (shellcheck, and runs of it), the Dockerfile (hadolint, its stages, user and entrypoint, and the
//! runtime libraries of the binary built here), the systemd unit (`systemd-analyze verify`), and
//! every `cohort run` command line of them against this build's `cohort run --help`. It prints what
//! only cohort's own code can judge, and this test judges it: every example config and the
//! ConfigMap's `cohort.toml` through `cohort_jobs::config::load` (a renamed or misspelt key fails),
//! the Secret's tokens file through the API's token parser, its member key through the privacy
//! key's constructor. Broken copies of `deploy/` must fail the checker, so that its checks are
//! known to bite.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cohort_jobs::config::{self, Config};
use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `deploy/check_deploy.py` on `deploy_dir` with this build's `cohort`.
fn run_checker(deploy_dir: &Path) -> Output {
    let python = std::env::var("COHORT_PYTHON").unwrap_or_else(|_| {
        panic!(
            "COHORT_PYTHON is not set: run `source scripts/env.sh && scripts/ensure-python.sh` (or \
             scripts/test.sh), which installs the deployment checker's packages"
        )
    });
    Command::new(&python)
        .arg(repo_root().join("deploy/check_deploy.py"))
        .arg(deploy_dir)
        .arg("--cohort-bin")
        .arg(env!("CARGO_BIN_EXE_cohort"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"))
}

/// The checker's findings on the real `deploy/`, which must have none.
fn checked_facts() -> Value {
    let out = run_checker(&repo_root().join("deploy"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "deploy/check_deploy.py found problems in deploy/:\n{stderr}"
    );
    let facts: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Checks that wait for work not merged yet are said, not skipped in silence.
    for note in facts["notes"].as_array().unwrap() {
        eprintln!("note: {}", note.as_str().unwrap());
    }
    facts
}

/// Loads a config file with cohort's loader and the environment the deployment sets. Cluster mode's
/// `[cluster]` table is being added beside this work: while this build's loader rejects it as an
/// unknown key, the file is loaded without it (and that is said); once cluster mode is merged, the
/// whole file is loaded and a renamed cluster key fails here.
fn load_deployed(origin: &str, path: &Path, env: &[(String, String)]) -> Config {
    match config::load(Some(path), env.to_vec()) {
        Ok(config) => config,
        Err(e) if e.to_string().contains("unknown field `cluster`") => {
            let mut table: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
            let cluster = table.remove("cluster").unwrap();
            eprintln!(
                "note: {origin}: this build has no [cluster] config; loaded without it ({cluster:?})"
            );
            let dir = tempfile::tempdir().unwrap();
            let stripped = dir.path().join(path.file_name().unwrap());
            std::fs::write(&stripped, toml::to_string(&table).unwrap()).unwrap();
            config::load(Some(&stripped), env.to_vec())
                .unwrap_or_else(|e| panic!("{origin} (without [cluster]): {e}"))
        }
        Err(e) => panic!("{origin}: {e}"),
    }
}

#[test]
fn deploy_artefacts_pass_the_checker_and_cohorts_own_loaders() {
    let facts = checked_facts();
    let env: Vec<(String, String)> = facts["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();

    let dir = tempfile::tempdir().unwrap();
    let mut loaded = Vec::new();
    for (n, c) in facts["configs"].as_array().unwrap().iter().enumerate() {
        let origin = c["origin"].as_str().unwrap();
        let path = match (c.get("path"), c.get("text")) {
            (Some(p), _) => PathBuf::from(p.as_str().unwrap()),
            (None, Some(text)) => {
                let p = dir.path().join(format!("config-{n}.toml"));
                std::fs::write(&p, text.as_str().unwrap()).unwrap();
                p
            }
            _ => panic!("{c}"),
        };
        loaded.push((origin.to_string(), load_deployed(origin, &path, &env)));
    }
    let origins: Vec<&str> = loaded.iter().map(|(o, _)| o.as_str()).collect();
    for want in [
        "config/cohort.example.toml",
        "config/single-node.toml",
        "config/cluster.toml",
    ] {
        assert!(origins.contains(&want), "{want} not checked: {origins:?}");
    }
    assert!(
        origins.iter().any(|o| o.contains("ConfigMap cohort.toml")),
        "the ConfigMap's cohort.toml was not checked: {origins:?}"
    );
    for (origin, config) in &loaded {
        if origin.ends_with("cohort.example.toml") {
            continue;
        }
        // What a deployment means: Kafka in, a data directory of its own, a configured member key
        // (not the one cohort would generate beside the data).
        assert!(
            matches!(config.source, cohort_pipeline::SourceSpec::Kafka(_)),
            "{origin}: {:?}",
            config.source
        );
        assert_eq!(
            config.output.data_dir,
            PathBuf::from("/var/lib/cohort"),
            "{origin}"
        );
        assert!(!config.privacy.key_file.is_empty(), "{origin}: no key_file");
    }

    // The Secret's files, as cohort reads them.
    let tokens = facts["tokens_files"].as_array().unwrap();
    assert!(!tokens.is_empty(), "no tokens file was checked");
    for t in tokens {
        let set = cohort_jobs::http::tokens::TokenSet::parse(t["text"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", t["origin"]));
        assert!(!set.is_empty(), "{}: no token", t["origin"]);
    }
    let keys = facts["privacy_keys"].as_array().unwrap();
    assert!(!keys.is_empty(), "no privacy key was checked");
    for k in keys {
        let text = k["text"].as_str().unwrap().trim();
        let key = cohort_jobs::privacy::SecretKey::new(text.as_bytes(), "the Secret example");
        assert!(key.is_ok(), "{}: {:?}", k["origin"], key.err());
    }

    // Every `cohort run` command line of the artefacts was checked against --help.
    let commands: Vec<&str> = facts["run_commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["origin"].as_str().unwrap())
        .collect();
    for want in ["StatefulSet/cohort", "cohort.service", "Dockerfile CMD"] {
        assert!(
            commands.iter().any(|c| c.contains(want)),
            "{want}: {commands:?}"
        );
    }
}

#[test]
fn a_renamed_config_key_fails_the_load() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["single-node.toml", "cluster.toml"] {
        let text = std::fs::read_to_string(repo_root().join("deploy/config").join(name)).unwrap();
        assert!(text.contains("\nworkers = "), "{name}");
        let broken = dir.path().join(name);
        std::fs::write(&broken, text.replace("\nworkers = ", "\nworker_threads = ")).unwrap();
        let e = match config::load(Some(&broken), Vec::new()) {
            Ok(_) => panic!("{name} with a renamed key loaded"),
            Err(e) => e.to_string(),
        };
        // Before cluster mode is merged, the cluster example fails on [cluster] first: either way
        // the loader refuses the file, which is what a deployment with a stale key would meet.
        assert!(
            e.contains("runtime.worker_threads") || e.contains("unknown field `cluster`"),
            "{name}: {e}"
        );
    }
}

/// Copies `deploy/` to `root/deploy` (the checker finds the Dockerfile's COPY sources relative to
/// the directory above it, as `docker build` from the repository root would).
fn copy_deploy(root: &Path) -> PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                if entry.file_name() != "__pycache__" {
                    copy(&entry.path(), &target);
                }
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    let deploy = root.join("deploy");
    copy(&repo_root().join("deploy"), &deploy);
    deploy
}

/// One way to break `deploy/`: in `file`, the first `from` becomes `to`, and the checker must fail
/// saying `says`.
struct Breakage {
    file: &'static str,
    from: &'static str,
    to: &'static str,
    says: &'static str,
}

#[test]
fn broken_copies_of_deploy_fail_the_checker() {
    let breakages = [
        Breakage {
            file: "kubernetes/statefulset.yaml",
            from: "path: /readyz",
            to: "path: /ready",
            says: "readinessProbe must GET /readyz",
        },
        Breakage {
            file: "kubernetes/services.yaml",
            from: "publishNotReadyAddresses: true",
            to: "publishNotReadyAddresses: false",
            says: "publishNotReadyAddresses: true",
        },
        Breakage {
            file: "kubernetes/services.yaml",
            from: "clusterIP: None",
            to: "clusterIP: 10.0.0.10",
            says: "must be headless",
        },
        Breakage {
            file: "kubernetes/statefulset.yaml",
            from: "value: \"3\"",
            to: "value: \"4\"",
            says: "COHORT_PROCESSES (4) must equal replicas (3)",
        },
        Breakage {
            file: "kubernetes/statefulset.yaml",
            from: "- --tokens",
            to: "- --token",
            says: "has no flag --token",
        },
        Breakage {
            file: "kubernetes/statefulset.yaml",
            from: "secretName: cohort-secrets",
            to: "secretName: cohort-secret",
            says: "Secret cohort-secret is in no manifest",
        },
        Breakage {
            file: "kubernetes/statefulset.yaml",
            from: "prometheus.io/port: \"8080\"",
            to: "prometheus.io/port: \"9090\"",
            says: "prometheus.io/port must be the http port",
        },
        Breakage {
            file: "kubernetes/statefulset.yaml",
            from: "          readinessProbe:",
            to: "          readynessProbe:",
            says: "'readynessProbe' was unexpected",
        },
        Breakage {
            file: "kubernetes/configmap.yaml",
            from: "data_dir = \"/var/lib/cohort\"",
            to: "data_dir = \"/data\"",
            says: "data_dir /data is not on a PersistentVolumeClaim",
        },
        Breakage {
            file: "Dockerfile",
            from: "USER 10001:10001",
            to: "USER root",
            says: "USER must be a numeric non-root uid",
        },
        Breakage {
            file: "Dockerfile",
            from: "ca-certificates libssl3",
            to: "netbase",
            says: "from package libssl3",
        },
        Breakage {
            file: "systemd/cohort.service",
            from: "PrivateTmp=yes",
            to: "PrivateTemp=yes",
            says: "Unknown key 'PrivateTemp'",
        },
        Breakage {
            file: "config/single-node.toml",
            from: "/run/credentials/cohort.service/privacy-key",
            to: "/etc/cohort/privacy-key",
            says: "must be one of the unit's credentials",
        },
        Breakage {
            file: "kubernetes/cohort-cluster-start.sh",
            from: "while [ \"$i\" -lt \"$processes\" ]",
            to: "while [ \"$i\" -le \"$processes\" ]",
            says: "cohort-cluster-start.sh: hostfile",
        },
    ];
    // Four checkers at a time: each runs a handful of tools, on a machine shared with other work.
    let mut results: Vec<(&Breakage, Output)> = Vec::new();
    for chunk in breakages.chunks(4) {
        std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|b| {
                    s.spawn(move || {
                        let root = tempfile::tempdir().unwrap();
                        let deploy = copy_deploy(root.path());
                        let path = deploy.join(b.file);
                        let text = std::fs::read_to_string(&path).unwrap();
                        assert!(
                            text.contains(b.from),
                            "{} no longer contains {:?}",
                            b.file,
                            b.from
                        );
                        std::fs::write(&path, text.replacen(b.from, b.to, 1)).unwrap();
                        (b, run_checker(&deploy))
                    })
                })
                .collect();
            results.extend(handles.into_iter().map(|h| h.join().unwrap()));
        });
    }
    for (b, out) in results {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{} with {:?} -> {:?} passed the checker",
            b.file,
            b.from,
            b.to
        );
        assert!(
            stderr.contains(b.says),
            "{} with {:?} -> {:?}: the checker did not say {:?}:\n{stderr}",
            b.file,
            b.from,
            b.to,
            b.says
        );
    }
}
