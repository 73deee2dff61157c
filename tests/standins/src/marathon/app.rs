//! Marathon app definitions: reading a request body the way Marathon 1.10 does (JSON errors as
//! 400/422 "Invalid JSON", rule violations as 422 "Object is not valid", both with `details`),
//! defaults, the 1.5+ normalisation of legacy networking fields, and the canonical JSON a GET
//! returns.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// A refused request body, as Marathon answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// 400 or 422.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

fn invalid_json(details: Vec<(String, &str)>) -> Rejection {
    let details: Vec<Value> = details
        .into_iter()
        .map(|(path, e)| json!({ "path": path, "errors": [e] }))
        .collect();
    Rejection {
        status: 422,
        body: json!({ "message": "Invalid JSON", "details": details }),
    }
}

fn not_valid(details: Vec<(String, String)>) -> Rejection {
    let mut by_path: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (p, e) in details {
        by_path.entry(p).or_default().push(e);
    }
    let details: Vec<Value> = by_path
        .into_iter()
        .map(|(path, errors)| json!({ "path": path, "errors": errors }))
        .collect();
    Rejection {
        status: 422,
        body: json!({ "message": "Object is not valid", "details": details }),
    }
}

/// A host or container port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortMapping {
    /// Port inside the container (0 = same as the host port).
    pub container_port: u64,
    /// Port on the agent (0 = any from the offer).
    pub host_port: Option<u64>,
    /// Service port.
    pub service_port: u64,
    /// `tcp` or `udp`.
    pub protocol: String,
    /// Optional name.
    pub name: Option<String>,
}

/// A validated, normalised app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct App {
    /// Absolute id, e.g. `/shell-hello`.
    pub id: String,
    /// Shell command.
    pub cmd: Option<String>,
    /// Arguments (instead of `cmd`).
    pub args: Vec<String>,
    /// User the tasks run as.
    pub user: Option<String>,
    /// Environment.
    pub env: BTreeMap<String, String>,
    /// Instances.
    pub instances: u64,
    /// CPUs per instance.
    pub cpus: f64,
    /// Memory (MB) per instance.
    pub mem: f64,
    /// Disk (MB) per instance.
    pub disk: f64,
    /// GPUs.
    pub gpus: u64,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Constraints, as given.
    pub constraints: Value,
    /// Backoff base.
    pub backoff_seconds: u64,
    /// Backoff factor.
    pub backoff_factor: f64,
    /// Backoff ceiling.
    pub max_launch_delay_seconds: u64,
    /// Docker image when the app runs in a Docker container.
    pub docker_image: Option<String>,
    /// Force a pull before each launch.
    pub force_pull_image: bool,
    /// `container/bridge` or `host`.
    pub network_mode: String,
    /// Container port mappings (bridge networking).
    pub port_mappings: Vec<PortMapping>,
    /// Host port definitions (host networking).
    pub port_definitions: Vec<PortMapping>,
    /// Health checks, as given.
    pub health_checks: Value,
    /// Upgrade strategy.
    pub upgrade_strategy: (f64, f64),
    /// Version (ISO 8601).
    pub version: String,
    /// Last scaling change.
    pub last_scaling_at: String,
    /// Last configuration change.
    pub last_config_change_at: String,
}

/// An ISO 8601 timestamp with milliseconds, as Marathon writes versions.
pub fn timestamp(secs: f64) -> String {
    let ms = (secs * 1000.0) as i64;
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

// Days since 1970-01-01 to a civil date (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

const SEGMENT: &str = r"^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])|(\.|\.\.)$";

fn valid_segment(s: &str) -> bool {
    if s == "." || s == ".." {
        return true;
    }
    let label = |l: &str| {
        !l.is_empty()
            && l.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    s.split('.').all(label)
}

/// Canonical absolute form of an app id (`shell-hello` -> `/shell-hello`).
pub fn canonical_id(id: &str) -> String {
    let parts: Vec<&str> = id.split('/').filter(|p| !p.is_empty()).collect();
    format!("/{}", parts.join("/"))
}

struct Reader<'a> {
    obj: &'a Map<String, Value>,
    type_errors: Vec<(String, &'static str)>,
}

impl<'a> Reader<'a> {
    fn get(&self, k: &str) -> Option<&'a Value> {
        self.obj.get(k).filter(|v| !v.is_null())
    }
    fn string(&mut self, k: &str) -> Option<String> {
        match self.get(k) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.type_errors
                    .push((format!("/{k}"), "error.expected.jsstring"));
                None
            }
        }
    }
    fn number(&mut self, k: &str) -> Option<f64> {
        match self.get(k) {
            None => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(_) => {
                self.type_errors
                    .push((format!("/{k}"), "error.expected.jsnumber"));
                None
            }
        }
    }
    fn boolean(&mut self, k: &str) -> Option<bool> {
        match self.get(k) {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.type_errors
                    .push((format!("/{k}"), "error.expected.jsboolean"));
                None
            }
        }
    }
    fn array(&mut self, k: &str) -> Option<&'a Vec<Value>> {
        match self.get(k) {
            None => None,
            Some(Value::Array(a)) => Some(a),
            Some(_) => {
                self.type_errors
                    .push((format!("/{k}"), "error.expected.jsarray"));
                None
            }
        }
    }
    fn object(&mut self, k: &str) -> Option<&'a Map<String, Value>> {
        match self.get(k) {
            None => None,
            Some(Value::Object(o)) => Some(o),
            Some(_) => {
                self.type_errors
                    .push((format!("/{k}"), "error.expected.jsobject"));
                None
            }
        }
    }
}

fn string_map(
    v: Option<&Map<String, Value>>,
    path: &str,
    errs: &mut Vec<(String, &'static str)>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in v.into_iter().flatten() {
        match v {
            Value::String(s) => {
                out.insert(k.clone(), s.clone());
            }
            _ => errs.push((format!("{path}/{k}"), "error.expected.jsstring")),
        }
    }
    out
}

fn port_entry(
    v: &Value,
    path: &str,
    container: bool,
    errs: &mut Vec<(String, &'static str)>,
) -> Option<PortMapping> {
    let Value::Object(o) = v else {
        errs.push((path.to_string(), "error.expected.jsobject"));
        return None;
    };
    let num = |k: &str, errs: &mut Vec<(String, &'static str)>| -> Option<u64> {
        match o.get(k) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_u64().or_else(|| {
                errs.push((format!("{path}/{k}"), "error.expected.jsnumber"));
                None
            }),
            Some(_) => {
                errs.push((format!("{path}/{k}"), "error.expected.jsnumber"));
                None
            }
        }
    };
    let text = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
    if container {
        Some(PortMapping {
            container_port: num("containerPort", errs).unwrap_or(0),
            host_port: num("hostPort", errs),
            service_port: num("servicePort", errs).unwrap_or(0),
            protocol: text("protocol").unwrap_or_else(|| "tcp".into()),
            name: text("name"),
        })
    } else {
        Some(PortMapping {
            container_port: 0,
            host_port: None,
            service_port: num("port", errs).unwrap_or(0),
            protocol: text("protocol").unwrap_or_else(|| "tcp".into()),
            name: text("name"),
        })
    }
}

/// Reads a request body into an app. `path_id` is the id from the URL for PUT.
pub fn parse(body: &[u8], path_id: Option<&str>, now: f64) -> Result<App, Rejection> {
    let value: Value = serde_json::from_slice(body).map_err(|e| Rejection {
        status: 400,
        body: json!({ "message": "Invalid JSON", "details": format!("{e}") }),
    })?;
    let Value::Object(obj) = &value else {
        return Err(invalid_json(vec![("".into(), "error.expected.jsobject")]));
    };
    let mut r = Reader {
        obj,
        type_errors: Vec::new(),
    };
    let id = r.string("id");
    let cmd = r.string("cmd");
    let args: Vec<String> = r
        .array("args")
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let user = r.string("user");
    let env_obj = r.object("env");
    let instances = r.number("instances");
    let cpus = r.number("cpus");
    let mem = r.number("mem");
    let disk = r.number("disk");
    let gpus = r.number("gpus");
    let labels_obj = r.object("labels");
    let backoff_seconds = r.number("backoffSeconds");
    let backoff_factor = r.number("backoffFactor");
    let max_delay = r.number("maxLaunchDelaySeconds");
    let container = r.object("container");
    let networks = r.array("networks");
    let ports = r.array("ports");
    let port_defs = r.array("portDefinitions");
    let health_checks = r.array("healthChecks").cloned();
    let constraints = r.array("constraints").cloned();
    let require_ports = r.boolean("requirePorts");
    let upgrade = r.object("upgradeStrategy");
    let mut errs = std::mem::take(&mut r.type_errors);
    let env = string_map(env_obj, "/env", &mut errs);
    let labels = string_map(labels_obj, "/labels", &mut errs);
    let id = match (id, path_id) {
        (Some(id), _) => id,
        (None, Some(p)) => p.to_string(),
        (None, None) => {
            errs.push(("/id".into(), "error.path.missing"));
            String::new()
        }
    };
    // Docker container: the 1.5+ form (`container.portMappings`) or the legacy one
    // (`container.docker.network` + `container.docker.portMappings`).
    let mut docker_image = None;
    let mut force_pull_image = false;
    let mut network_mode = "host".to_string();
    let mut port_mappings = Vec::new();
    let mut container_type = None;
    if let Some(c) = container {
        container_type = c.get("type").and_then(Value::as_str).map(str::to_string);
        if let Some(Value::Object(d)) = c.get("docker") {
            match d.get("image") {
                Some(Value::String(i)) => docker_image = Some(i.clone()),
                Some(_) => errs.push(("/container/docker/image".into(), "error.expected.jsstring")),
                None => errs.push(("/container/docker/image".into(), "error.path.missing")),
            }
            force_pull_image = d
                .get("forcePullImage")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if let Some(net) = d.get("network").and_then(Value::as_str) {
                network_mode = match net {
                    "BRIDGE" => "container/bridge".into(),
                    "USER" => "container".into(),
                    _ => "host".into(),
                };
            }
            if let Some(Value::Array(pm)) = d.get("portMappings") {
                for (i, p) in pm.iter().enumerate() {
                    port_mappings.extend(port_entry(
                        p,
                        &format!("/container/docker/portMappings({i})"),
                        true,
                        &mut errs,
                    ));
                }
            }
        }
        if let Some(Value::Array(pm)) = c.get("portMappings") {
            for (i, p) in pm.iter().enumerate() {
                port_mappings.extend(port_entry(
                    p,
                    &format!("/container/portMappings({i})"),
                    true,
                    &mut errs,
                ));
            }
        }
    }
    if let Some(nets) = networks {
        if let Some(mode) = nets
            .first()
            .and_then(|n| n.get("mode"))
            .and_then(Value::as_str)
        {
            network_mode = mode.to_string();
        }
    }
    let mut port_definitions = Vec::new();
    if let Some(p) = ports {
        for (i, v) in p.iter().enumerate() {
            match v.as_u64() {
                Some(n) => port_definitions.push(PortMapping {
                    container_port: 0,
                    host_port: None,
                    service_port: n,
                    protocol: "tcp".into(),
                    name: None,
                }),
                None => errs.push((format!("/ports({i})"), "error.expected.jsnumber")),
            }
        }
    }
    if let Some(p) = port_defs {
        port_definitions.clear();
        for (i, v) in p.iter().enumerate() {
            port_definitions.extend(port_entry(
                v,
                &format!("/portDefinitions({i})"),
                false,
                &mut errs,
            ));
        }
    }
    if !errs.is_empty() {
        return Err(invalid_json(errs));
    }

    // Rules (accord validation in Marathon): each violation with its path.
    let mut rules: Vec<(String, String)> = Vec::new();
    let canonical = canonical_id(&id);
    if id.trim().is_empty() || !canonical.split('/').skip(1).all(valid_segment) {
        rules.push((
            "/id".into(),
            format!("must fully match regular expression '{SEGMENT}'"),
        ));
    }
    if let Some(last) = canonical.rsplit('/').next() {
        if ["restart", "tasks", "versions"].contains(&last) {
            rules.push((
                "/id".into(),
                "must not end with any of the following reserved keywords: restart, tasks, versions, ., ..".into(),
            ));
        }
    }
    let has_cmd = cmd.as_deref().is_some_and(|c| !c.is_empty());
    let has_args = !args.is_empty();
    let has_container = docker_image.is_some() || container_type.as_deref() == Some("MESOS");
    if !((has_cmd ^ has_args) || (!(has_cmd && has_args) && has_container)) {
        rules.push((
            "/".into(),
            "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."
                .into(),
        ));
    }
    let mut at_least = |path: &str, v: Option<f64>, min: f64| {
        if let Some(v) = v {
            if v < min {
                rules.push((path.into(), format!("got {v}, expected {min} or more")));
            }
        }
    };
    at_least("/cpus", cpus, 0.0);
    at_least("/mem", mem, 0.0);
    at_least("/disk", disk, 0.0);
    at_least("/gpus", gpus, 0.0);
    at_least("/instances", instances, 0.0);
    at_least("/backoffSeconds", backoff_seconds, 0.0);
    at_least("/backoffFactor", backoff_factor, 1.0);
    at_least("/maxLaunchDelaySeconds", max_delay, 0.0);
    if let Some(t) = container_type.as_deref() {
        if t != "DOCKER" && t != "MESOS" {
            rules.push((
                "/container/type".into(),
                format!("error.unknown.enum.literal: {t} (allowed: DOCKER, MESOS)"),
            ));
        }
        if t == "DOCKER" && docker_image.is_none() {
            rules.push((
                "/container/docker".into(),
                "is required when container.type is DOCKER".into(),
            ));
        }
    }
    if network_mode == "host" && !port_mappings.is_empty() {
        rules.push((
            "/container/portMappings".into(),
            "Port mappings are only allowed with container networking (networks mode container or container/bridge)".into(),
        ));
    }
    if !rules.is_empty() {
        return Err(not_valid(rules));
    }
    let version = timestamp(now);
    Ok(App {
        id: canonical,
        cmd: cmd.filter(|c| !c.is_empty()),
        args,
        user,
        env,
        instances: instances.unwrap_or(1.0) as u64,
        cpus: cpus.unwrap_or(1.0),
        mem: mem.unwrap_or(128.0),
        disk: disk.unwrap_or(0.0),
        gpus: gpus.unwrap_or(0.0) as u64,
        labels,
        constraints: constraints.map(Value::Array).unwrap_or_else(|| json!([])),
        backoff_seconds: backoff_seconds.unwrap_or(1.0) as u64,
        backoff_factor: backoff_factor.unwrap_or(1.15),
        max_launch_delay_seconds: max_delay.unwrap_or(300.0) as u64,
        docker_image,
        force_pull_image,
        network_mode,
        port_mappings,
        port_definitions: if require_ports.is_some() || ports.is_some() || port_defs.is_some() {
            port_definitions
        } else {
            Vec::new()
        },
        health_checks: health_checks.map(Value::Array).unwrap_or_else(|| json!([])),
        upgrade_strategy: (
            upgrade
                .and_then(|u| u.get("minimumHealthCapacity"))
                .and_then(Value::as_f64)
                .unwrap_or(1.0),
            upgrade
                .and_then(|u| u.get("maximumOverCapacity"))
                .and_then(Value::as_f64)
                .unwrap_or(1.0),
        ),
        last_scaling_at: version.clone(),
        last_config_change_at: version.clone(),
        version,
    })
}

impl App {
    /// Whether two definitions differ in anything but their versions (a scale-only change keeps
    /// the configuration version).
    pub fn same_config(&self, other: &App) -> bool {
        let strip = |a: &App| App {
            instances: 0,
            version: String::new(),
            last_scaling_at: String::new(),
            last_config_change_at: String::new(),
            port_definitions: a
                .port_definitions
                .iter()
                .map(|p| PortMapping {
                    service_port: 0,
                    ..p.clone()
                })
                .collect(),
            port_mappings: a
                .port_mappings
                .iter()
                .map(|p| PortMapping {
                    service_port: 0,
                    ..p.clone()
                })
                .collect(),
            ..a.clone()
        };
        strip(self) == strip(other)
    }

    /// How many host ports one instance needs.
    pub fn host_ports_needed(&self) -> usize {
        if self.network_mode == "host" {
            self.port_definitions.len()
        } else {
            self.port_mappings
                .iter()
                .filter(|p| p.host_port.is_some())
                .count()
        }
    }

    /// The definition as Marathon 1.10 returns it.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("backoffFactor".into(), json!(self.backoff_factor));
        m.insert("backoffSeconds".into(), json!(self.backoff_seconds));
        if let Some(c) = &self.cmd {
            m.insert("cmd".into(), json!(c));
        }
        if !self.args.is_empty() {
            m.insert("args".into(), json!(self.args));
        }
        m.insert("constraints".into(), self.constraints.clone());
        if let Some(image) = &self.docker_image {
            let mappings: Vec<Value> = self
                .port_mappings
                .iter()
                .map(|p| {
                    let mut pm = Map::new();
                    pm.insert("containerPort".into(), json!(p.container_port));
                    if let Some(h) = p.host_port {
                        pm.insert("hostPort".into(), json!(h));
                    }
                    pm.insert("labels".into(), json!({}));
                    if let Some(n) = &p.name {
                        pm.insert("name".into(), json!(n));
                    }
                    pm.insert("protocol".into(), json!(p.protocol));
                    pm.insert("servicePort".into(), json!(p.service_port));
                    Value::Object(pm)
                })
                .collect();
            m.insert(
                "container".into(),
                json!({
                    "type": "DOCKER",
                    "docker": { "forcePullImage": self.force_pull_image, "image": image, "parameters": [], "privileged": false },
                    "portMappings": mappings,
                    "volumes": [],
                }),
            );
        }
        m.insert("cpus".into(), json!(self.cpus));
        m.insert("disk".into(), json!(self.disk));
        m.insert("env".into(), json!(self.env));
        m.insert("executor".into(), json!(""));
        m.insert("instances".into(), json!(self.instances));
        m.insert("labels".into(), json!(self.labels));
        m.insert(
            "maxLaunchDelaySeconds".into(),
            json!(self.max_launch_delay_seconds),
        );
        m.insert("mem".into(), json!(self.mem));
        m.insert("gpus".into(), json!(self.gpus));
        m.insert("networks".into(), json!([{ "mode": self.network_mode }]));
        let defs: Vec<Value> = self
            .port_definitions
            .iter()
            .map(|p| {
                let mut d = Map::new();
                d.insert("port".into(), json!(p.service_port));
                d.insert("protocol".into(), json!(p.protocol));
                if let Some(n) = &p.name {
                    d.insert("name".into(), json!(n));
                }
                d.insert("labels".into(), json!({}));
                Value::Object(d)
            })
            .collect();
        m.insert("portDefinitions".into(), Value::Array(defs));
        m.insert("requirePorts".into(), json!(false));
        m.insert(
            "upgradeStrategy".into(),
            json!({ "maximumOverCapacity": self.upgrade_strategy.1, "minimumHealthCapacity": self.upgrade_strategy.0 }),
        );
        if let Some(u) = &self.user {
            m.insert("user".into(), json!(u));
        }
        m.insert("version".into(), json!(self.version));
        m.insert(
            "versionInfo".into(),
            json!({ "lastScalingAt": self.last_scaling_at, "lastConfigChangeAt": self.last_config_change_at }),
        );
        m.insert("killSelection".into(), json!("YOUNGEST_FIRST"));
        m.insert(
            "unreachableStrategy".into(),
            json!({ "inactiveAfterSeconds": 0, "expungeAfterSeconds": 0 }),
        );
        m.insert("healthChecks".into(), self.health_checks.clone());
        m.insert("readinessChecks".into(), json!([]));
        m.insert("dependencies".into(), json!([]));
        m.insert("fetch".into(), json!([]));
        m.insert("secrets".into(), json!({}));
        m.insert("role".into(), json!("*"));
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_use_cases_apps_parse_and_normalise() {
        let shell = parse(
            br#"{"id":"shell-hello","cmd":"echo hello; sleep 10","mem":16,"cpus":0.1,"instances":1,"disk":0,"ports":[0]}"#,
            None,
            0.0,
        )
        .unwrap();
        assert_eq!(shell.id, "/shell-hello");
        assert_eq!(shell.port_definitions.len(), 1);
        assert_eq!(shell.to_json()["portDefinitions"][0]["protocol"], "tcp");
        let docker = parse(
            br#"{"id":"docker-hello","cmd":"python3 -m http.server 8080","cpus":0.5,"mem":32,"container":{"type":"DOCKER","docker":{"image":"python:3","network":"BRIDGE","portMappings":[{"containerPort":8080,"hostPort":0}]}}}"#,
            None,
            0.0,
        )
        .unwrap();
        let j = docker.to_json();
        assert_eq!(j["networks"][0]["mode"], "container/bridge");
        assert_eq!(j["container"]["portMappings"][0]["containerPort"], 8080);
        assert!(j["container"]["docker"].get("network").is_none());
        assert_eq!(docker.host_ports_needed(), 1);
    }

    #[test]
    fn malformed_and_invalid_bodies_are_refused_like_marathon() {
        let r = parse(b"{\"id\": ", None, 0.0).unwrap_err();
        assert_eq!(r.status, 400);
        assert_eq!(r.body["message"], "Invalid JSON");
        let r = parse(br#"{"id":"x","cmd":"c","cpus":"lots"}"#, None, 0.0).unwrap_err();
        assert_eq!(r.status, 422);
        assert_eq!(r.body["details"][0]["path"], "/cpus");
        assert_eq!(r.body["details"][0]["errors"][0], "error.expected.jsnumber");
        let r = parse(br#"{"cmd":"c"}"#, None, 0.0).unwrap_err();
        assert_eq!(r.body["details"][0]["errors"][0], "error.path.missing");
        let r = parse(br#"{"id":"Bad_Id","cmd":"c","cpus":-1}"#, None, 0.0).unwrap_err();
        assert_eq!(r.body["message"], "Object is not valid");
        let paths: Vec<&str> = r.body["details"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["path"].as_str().unwrap())
            .collect();
        assert_eq!(paths, vec!["/cpus", "/id"]);
        let r = parse(br#"{"id":"x","cmd":"a","args":["b"]}"#, None, 0.0).unwrap_err();
        assert!(r.body["details"][0]["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("AppDefinition must either contain"));
    }

    #[test]
    fn timestamps_are_iso_8601_with_milliseconds() {
        assert_eq!(timestamp(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(timestamp(1796612054.744), "2026-12-07T02:54:14.744Z");
    }
}
