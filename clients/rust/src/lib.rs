//! Generated gRPC client for the Cordyna orchestrator.
//!
//! [`v1`] holds the `cordyna.v1` messages (prost) and the client stubs
//! (tonic): [`v1::task_server_service_client::TaskServerServiceClient`] for a
//! task-server's session with cerebro, and
//! [`v1::control_service_client::ControlServiceClient`] for starting and
//! watching runs. Build a client on a [`tonic::transport::Channel`]:
//!
//! ```no_run
//! use cordyna_client::v1::task_server_service_client::TaskServerServiceClient;
//! use cordyna_client::tonic::transport::Endpoint;
//!
//! let channel = Endpoint::from_static("http://localhost:7070").connect_lazy();
//! let client = TaskServerServiceClient::new(channel);
//! ```
//!
//! The limits cerebro enforces are `buf.validate` (protovalidate) annotations
//! in the proto. prost leaves options out of the generated types, so
//! [`v1::FILE_DESCRIPTOR_SET`] carries the contract's descriptors with them,
//! for a validator or for reflection; docs/protocol.md lists them too.

/// The `cordyna.v1` protocol, generated from `proto/cordyna/v1/*.proto`.
#[allow(clippy::all, missing_docs)]
pub mod v1 {
    // The message file includes the client file itself.
    include!("gen/cordyna/v1/cordyna.v1.rs");
}

pub use prost;
pub use prost_types;
pub use tonic;
