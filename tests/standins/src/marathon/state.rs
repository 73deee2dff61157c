//! What the leading Marathon knows, and where it keeps it: apps, instances, deployments and
//! the framework id live in ZooKeeper under `<zk path>/state/` (as real Marathon keeps its state
//! in ZooKeeper), so a newly elected Marathon picks up where the last one stopped.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use zookeeper_client as zkc;

use super::app::App;
use crate::wire::TaskState;

/// One launched instance of an app (one task).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Instance {
    /// Mesos task id.
    pub task_id: String,
    /// App id.
    pub app_id: String,
    /// The app's configuration version it runs.
    pub version: String,
    /// Agent id.
    pub agent_id: String,
    /// Agent host name.
    pub host: String,
    /// Host ports.
    pub ports: Vec<u64>,
    /// Service ports.
    pub service_ports: Vec<u64>,
    /// Latest state.
    pub state: TaskState,
    /// When it was staged (ISO 8601).
    pub staged_at: String,
    /// When it was staged (seconds since the epoch).
    pub staged_secs: f64,
    /// When it started running.
    pub started_at: Option<String>,
    /// The task's IP address.
    pub ip: Option<String>,
}

/// A deployment in progress.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deployment {
    /// Id.
    pub id: String,
    /// Version of the change.
    pub version: String,
    /// The app it changes.
    pub app_id: String,
    /// `StartApplication`, `ScaleApplication`, `RestartApplication` or `StopApplication`.
    pub action: String,
}

impl Deployment {
    /// As `/v2/deployments` lists it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "version": self.version,
            "affectedApps": [self.app_id],
            "affectedPods": [],
            "steps": [{ "actions": [{ "action": self.action, "app": self.app_id }] }],
            "currentActions": [{ "action": self.action, "app": self.app_id, "readinessCheckResults": [] }],
            "currentStep": 1,
            "totalSteps": 1,
        })
    }
}

/// The last failed task of an app.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failure {
    /// `lastTaskFailure` JSON.
    pub json: Value,
}

/// The leader's working state.
#[derive(Debug, Default)]
pub struct Sched {
    /// Loaded from ZooKeeper since this Marathon became leader.
    pub loaded: bool,
    /// Framework id from Mesos.
    pub framework_id: Option<String>,
    /// Apps by id.
    pub apps: BTreeMap<String, App>,
    /// Instances by task id.
    pub instances: BTreeMap<String, Instance>,
    /// Deployments by id.
    pub deployments: BTreeMap<String, Deployment>,
    /// Last failure per app.
    pub failures: BTreeMap<String, Failure>,
    /// Launch backoff per app: (not before, consecutive ends).
    pub delays: BTreeMap<String, (Instant, u32)>,
    /// Whether running instances were reconciled with the current Mesos master.
    pub reconciled_with: Option<String>,
}

impl Sched {
    /// The next free service port at or above `min`.
    pub fn next_service_port(&self, min: u64) -> u64 {
        let used: std::collections::BTreeSet<u64> = self
            .apps
            .values()
            .flat_map(|a| {
                a.port_definitions
                    .iter()
                    .chain(a.port_mappings.iter())
                    .map(|p| p.service_port)
            })
            .collect();
        (min..).find(|p| !used.contains(p)).unwrap_or(min)
    }

    /// Live (non-terminal) instances of an app.
    pub fn live_of<'a>(&'a self, app_id: &'a str) -> impl Iterator<Item = &'a Instance> + 'a {
        self.instances
            .values()
            .filter(move |i| i.app_id == app_id && !i.state.is_terminal())
    }
}

/// The ZooKeeper store under `<zk path>/state`.
#[derive(Debug, Clone)]
pub struct Store {
    client: zkc::Client,
    base: String,
}

fn encode(id: &str) -> String {
    id.trim_start_matches('/')
        .replace('%', "%25")
        .replace('/', "%2F")
}

impl Store {
    /// A store over an established session.
    pub fn new(client: zkc::Client, zk_path: &str) -> Store {
        Store {
            client,
            base: format!("{zk_path}/state"),
        }
    }

    async fn put(&self, dir: &str, name: &str, data: &[u8]) -> Result<(), zkc::Error> {
        let dir = format!("{}/{dir}", self.base);
        crate::zk::mkdirs(&self.client, &dir).await?;
        let path = format!("{dir}/{name}");
        match self.client.set_data(&path, data, None).await {
            Ok(_) => Ok(()),
            Err(zkc::Error::NoNode) => {
                let opts = zkc::CreateMode::Persistent.with_acls(zkc::Acls::anyone_all());
                self.client.create(&path, data, &opts).await.map(|_| ())
            }
            Err(e) => Err(e),
        }
    }

    async fn remove(&self, dir: &str, name: &str) -> Result<(), zkc::Error> {
        match self
            .client
            .delete(&format!("{}/{dir}/{name}", self.base), None)
            .await
        {
            Ok(()) | Err(zkc::Error::NoNode) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn list<T: serde::de::DeserializeOwned>(&self, dir: &str) -> Result<Vec<T>, zkc::Error> {
        let dir = format!("{}/{dir}", self.base);
        crate::zk::mkdirs(&self.client, &dir).await?;
        let mut out = Vec::new();
        for name in self.client.list_children(&dir).await? {
            if let Ok((data, _)) = self.client.get_data(&format!("{dir}/{name}")).await {
                if let Ok(v) = serde_json::from_slice(&data) {
                    out.push(v);
                }
            }
        }
        Ok(out)
    }

    /// Loads everything into a fresh working state.
    pub async fn load(&self) -> Result<Sched, zkc::Error> {
        let mut s = Sched {
            loaded: true,
            ..Default::default()
        };
        for a in self.list::<App>("apps").await? {
            s.apps.insert(a.id.clone(), a);
        }
        for i in self.list::<Instance>("instances").await? {
            s.instances.insert(i.task_id.clone(), i);
        }
        for d in self.list::<Deployment>("deployments").await? {
            s.deployments.insert(d.id.clone(), d);
        }
        s.framework_id = match self
            .client
            .get_data(&format!("{}/framework-id", self.base))
            .await
        {
            Ok((d, _)) => String::from_utf8(d).ok().filter(|s| !s.is_empty()),
            Err(zkc::Error::NoNode) => None,
            Err(e) => return Err(e),
        };
        Ok(s)
    }

    /// Saves an app.
    pub async fn put_app(&self, app: &App) -> Result<(), zkc::Error> {
        self.put(
            "apps",
            &encode(&app.id),
            &serde_json::to_vec(app).expect("serialises"),
        )
        .await
    }

    /// Deletes an app.
    pub async fn delete_app(&self, id: &str) -> Result<(), zkc::Error> {
        self.remove("apps", &encode(id)).await
    }

    /// Saves an instance.
    pub async fn put_instance(&self, i: &Instance) -> Result<(), zkc::Error> {
        self.put(
            "instances",
            &encode(&i.task_id),
            &serde_json::to_vec(i).expect("serialises"),
        )
        .await
    }

    /// Deletes an instance.
    pub async fn delete_instance(&self, task_id: &str) -> Result<(), zkc::Error> {
        self.remove("instances", &encode(task_id)).await
    }

    /// Saves a deployment.
    pub async fn put_deployment(&self, d: &Deployment) -> Result<(), zkc::Error> {
        self.put(
            "deployments",
            &d.id,
            &serde_json::to_vec(d).expect("serialises"),
        )
        .await
    }

    /// Deletes a deployment.
    pub async fn delete_deployment(&self, id: &str) -> Result<(), zkc::Error> {
        self.remove("deployments", id).await
    }

    /// Saves the framework id.
    pub async fn set_framework_id(&self, id: &str) -> Result<(), zkc::Error> {
        crate::zk::mkdirs(&self.client, &self.base).await?;
        let path = format!("{}/framework-id", self.base);
        match self.client.set_data(&path, id.as_bytes(), None).await {
            Ok(_) => Ok(()),
            Err(zkc::Error::NoNode) => {
                let opts = zkc::CreateMode::Persistent.with_acls(zkc::Acls::anyone_all());
                self.client
                    .create(&path, id.as_bytes(), &opts)
                    .await
                    .map(|_| ())
            }
            Err(e) => Err(e),
        }
    }
}
