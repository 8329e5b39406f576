//! External-action nodes: what plan says of them and how apply carries them out, one
//! arm per [`ExternalAction`]. Command lines come from core (`graph::commands`), the one
//! place each is spelled.
//!
//! Done: existing clusters (reachability), waits for a LoadBalancer address. Not yet:
//! kind clusters, helm releases, linkerd renders, links, manifests and certificates —
//! planned as unknown with their command lines shown, and failing at apply with a
//! message saying so (never pretending to have run).

use crate::api::ClusterApi;
use crate::discovery::Resolved;
use crate::engine::Engine;
use crate::error::ExecutorError;
use crate::scheduler::NodeReport;
use crate::wait;
use meshctl_core::graph::{commands, ExternalAction, Node};
use meshctl_core::live::{ActionPlan, LiveAction};

/// The command lines of an action, as shown in a plan.
pub fn command_lines(engine: &Engine, action: &ExternalAction) -> Vec<Vec<String>> {
    commands(action, &engine.opts.paths)
        .into_iter()
        .map(|c| {
            std::iter::once(c.tool.program().to_string())
                .chain(c.args)
                .collect()
        })
        .collect()
}

/// What apply will do for an action node; `api` is the node's cluster when it answered.
pub async fn plan_action(
    engine: &Engine,
    api: Option<&ClusterApi>,
    action: &ExternalAction,
) -> ActionPlan {
    let lines = command_lines(engine, action);
    let plan = |action: LiveAction, note: Option<String>| ActionPlan {
        action,
        commands: lines.clone(),
        note,
    };
    match action {
        ExternalAction::UseExistingCluster { .. } => match api {
            Some(_) => plan(LiveAction::Unchanged, None),
            None => plan(
                LiveAction::Unknown,
                Some("the cluster could not be read".into()),
            ),
        },
        ExternalAction::WaitForLoadBalancer {
            namespace, service, ..
        } => {
            let address = match api {
                Some(api) => lb_address(engine, api, namespace, service).await,
                None => None,
            };
            match address {
                Some(address) => plan(LiveAction::Unchanged, Some(format!("address {address}"))),
                None => plan(
                    LiveAction::Unknown,
                    Some(format!(
                        "waits for {namespace}/{service} to get a LoadBalancer address (known after apply)"
                    )),
                ),
            }
        }
        _ => plan(LiveAction::Unknown, Some(NOT_YET.into())),
    }
}

const NOT_YET: &str = "not run by the executor yet (kind, helm, linkerd and manifest actions)";

/// Carries out an action node.
pub async fn run_action(
    engine: &Engine,
    node: &Node,
    action: &ExternalAction,
) -> Result<NodeReport, ExecutorError> {
    let cluster = || {
        engine
            .cluster_of(node)
            .ok_or_else(|| ExecutorError::Invalid(format!("node {} names no cluster", node.id)))
    };
    match action {
        ExternalAction::UseExistingCluster { .. } => {
            let c = cluster()?;
            engine.clients.reachable(&c.name, &c.context).await?;
            Ok(NodeReport::default())
        }
        ExternalAction::WaitForLoadBalancer {
            namespace, service, ..
        } => {
            let c = cluster()?;
            let api = engine.clients.reachable(&c.name, &c.context).await?;
            let resource = service_resource(engine, &api).await?;
            let address = wait::until(
                &api,
                &resource,
                Some(namespace),
                service,
                &format!("Service {namespace}/{service} LoadBalancer address"),
                engine.opts.timeouts.wait,
                wait::load_balancer_address,
            )
            .await?;
            Ok(NodeReport {
                detail: format!("address {address}"),
                changed: false,
            })
        }
        _ => Err(ExecutorError::Tool(format!("{}: {NOT_YET}", node.id))),
    }
}

async fn service_resource(
    engine: &Engine,
    api: &ClusterApi,
) -> Result<kube::core::ApiResource, ExecutorError> {
    match engine
        .discovery
        .resolve(api, "v1", "Service", false)
        .await?
    {
        Resolved::Served { resource, .. } => Ok(resource),
        Resolved::NotServed => Err(ExecutorError::Invalid(format!(
            "cluster {} does not serve v1 Services",
            api.cluster
        ))),
    }
}

async fn lb_address(
    engine: &Engine,
    api: &ClusterApi,
    namespace: &str,
    service: &str,
) -> Option<String> {
    let resource = service_resource(engine, api).await.ok()?;
    let live = api.get(&resource, Some(namespace), service).await.ok()??;
    wait::load_balancer_address(&live)
}
