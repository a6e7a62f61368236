//! A `cohort serve` process on a free loopback port, and a real HTTP client (ureq) that checks
//! every answer against the server's own `/openapi.json` and counts what it received (to compare
//! with `/metrics`).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::common::{cohort, ok};
use super::schema;

/// One answer.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The body as JSON (`Null` when it is not JSON).
    pub json: Value,
    /// The body as text.
    pub text: String,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
}

impl Reply {
    /// The `error` code of an error answer.
    pub fn error(&self) -> &str {
        self.json["error"].as_str().unwrap_or("")
    }

    /// The `parameter` of an error answer.
    pub fn parameter(&self) -> &str {
        self.json["parameter"].as_str().unwrap_or("")
    }
}

/// A running `cohort serve`.
pub struct Server {
    child: Child,
    /// The rest of its standard output.
    stdout: Option<BufReader<std::process::ChildStdout>>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    agent: ureq::Agent,
    /// The server's OpenAPI document.
    pub openapi: Value,
    /// Where the server's standard error goes.
    pub log: PathBuf,
    /// Answers received, by (route template or "unmatched", status).
    pub received: RefCell<BTreeMap<(String, u16), u64>>,
}

impl Server {
    /// Starts `cohort serve --http 127.0.0.1:0 --data-dir DATA ARGS…` and reads the address it
    /// printed; its standard error goes to `log`.
    pub fn start(data: &Path, log: &Path, args: &[&str]) -> Server {
        Server::start_command(cohort(), data, log, args)
    }

    /// [`Server::start`] with `cmd` as the `cohort` to run (its environment, say).
    pub fn start_command(mut cmd: Command, data: &Path, log: &Path, args: &[&str]) -> Server {
        cmd.args(["serve", "--http", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .args(args);
        Server::spawn(cmd, log)
    }

    /// Spawns `cmd`, any `cohort` command serving the API (`serve`, `run --http`), with its
    /// standard error to `log`, and reads the address it printed first.
    pub fn spawn(mut cmd: Command, log: &Path) -> Server {
        cmd.stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap());
        let mut child = cmd.spawn().unwrap();
        let mut first = String::new();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        reader.read_line(&mut first).unwrap();
        let Some(addr) = first.trim().strip_prefix("listening on ") else {
            let _ = child.wait();
            panic!(
                "{cmd:?} printed {first:?}; stderr:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let mut server = Server {
            child,
            stdout: Some(reader),
            base: addr.to_string(),
            agent,
            openapi: Value::Null,
            log: log.to_path_buf(),
            received: RefCell::new(BTreeMap::new()),
        };
        let doc = server.get("/openapi.json", None);
        assert_eq!(doc.status, 200, "{}", doc.text);
        server.openapi = doc.json;
        server
    }

    /// `GET path_and_query` with `token` as bearer token, checked against the OpenAPI document.
    pub fn get(&self, path_and_query: &str, token: Option<&str>) -> Reply {
        self.get_with(path_and_query, token.map(|t| format!("Bearer {t}")))
    }

    /// `GET` with this exact `Authorization` header (or none).
    pub fn get_with(&self, path_and_query: &str, authorization: Option<String>) -> Reply {
        let mut request = self.agent.get(format!("{}{path_and_query}", self.base));
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        let response = request.call().unwrap();
        self.reply(path_and_query, response)
    }

    /// `POST` with an empty body (every route is GET-only).
    pub fn post(&self, path: &str) -> Reply {
        let response = self
            .agent
            .post(format!("{}{path}", self.base))
            .send_empty()
            .unwrap();
        self.reply(path, response)
    }

    fn reply(&self, path_and_query: &str, mut response: ureq::http::Response<ureq::Body>) -> Reply {
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type").unwrap_or_default();
        let retry_after = header("retry-after");
        let text = response.body_mut().read_to_string().unwrap();
        let path = path_and_query.split('?').next().unwrap();
        if !self.openapi.is_null()
            && let Err(e) = schema::check_answer(&self.openapi, path, status, &content_type, &text)
        {
            panic!("{path_and_query} → {status} does not match /openapi.json: {e}\n{text:.500}");
        }
        let route = schema::template_of(&self.openapi, path)
            .map(str::to_string)
            .unwrap_or_else(|| {
                if path == "/openapi.json" {
                    path.to_string()
                } else {
                    "unmatched".to_string()
                }
            });
        *self
            .received
            .borrow_mut()
            .entry((route, status))
            .or_default() += 1;
        Reply {
            status,
            json: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
            retry_after,
        }
    }

    /// Stops the process with SIGTERM and returns the rest of its standard output once it
    /// exited, failing the test unless it exited 0.
    pub fn stop(mut self) -> String {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -TERM failed");
        let mut rest = String::new();
        if let Some(mut out) = self.stdout.take() {
            std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
        }
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "exited with {exit}:\n{}", self.log_text());
        rest
    }

    /// What the server wrote to standard error so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `cohort token create --communities C --scopes S`: the token (first line's last word) and the
/// tokens-file line (last line).
pub fn create_token(communities: &str, scopes: &str) -> (String, String) {
    let mut cmd = cohort();
    cmd.args([
        "token",
        "create",
        "--communities",
        communities,
        "--scopes",
        scopes,
    ]);
    let out = String::from_utf8(ok(cmd).stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    let token = lines[0].split_whitespace().last().unwrap().to_string();
    let line = lines.last().unwrap().to_string();
    (token, line)
}

/// Writes a tokens file of `lines`.
pub fn tokens_file(path: &Path, lines: &[&str]) {
    let mut text = String::from("# test tokens\n");
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

/// A Prometheus sample's value in `metrics`, by its full name with labels.
pub fn sample(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{metrics}"))
}
