//! The topology: its typed model, the units it is written in, loading it from text with
//! positions, its JSON Schema, the defaults computed from it, and the inventory of what
//! it declares where (shared by validation and the graph).

// The event walk fails with exactly one diagnostic per file (boxed at the public
// `load` boundary), so its large error type costs nothing worth boxing for inside.
mod defaults;
mod inventory;
mod load;
mod lookup;
mod model;
pub mod schema;
mod schema_check;
#[allow(clippy::result_large_err)]
mod source_index;
pub mod units;
#[cfg(test)]
mod walk_equivalence;
mod yaml_scalar;

// The defaults module is computed values and helpers over the model, all public by
// design (validation and the graph read them): re-exported whole.
pub use defaults::*;
pub use inventory::Inventory;
pub use load::{load, load_str, LoadedTopology};
pub use model::{
    Backend, CertificateFiles, CertificateSource, Cluster, ClusterDefaults, Export, Extension,
    Extensions, GeneratedCertificate, IngressController, IngressSpec, L2AdvertisementSpec, Link,
    Linkerd, LoadBalancer, Mesh, Metadata, NamespaceSpec, NodeNetwork, Nodes, Policy, Pool,
    Provider, Split, Topology, TopologySpec, Workload, API_VERSION, KIND,
};
pub use source_index::SourceIndex;
