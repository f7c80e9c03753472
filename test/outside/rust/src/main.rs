//! Team outside's task-server: one task, `outside.rust.count-words`.
//!
//! The task needs team A's exchange rates first, fetched within the hour
//! (`a.fetch-rates`), and passes on what they say (how many currencies).
//!
//! A crate of its own that uses nothing of Cordyna but the `cordyna-client`
//! crate (the generated messages and tonic stubs, and tonic itself). It keeps
//! to the minimum of the protocol (docs/protocol.md): Hello, Welcome,
//! heartbeats, Pong, and for each Invoke a STARTED and a COMPLETED update. It
//! does not reconnect, resend unacknowledged updates or drain;
//! clients/rust/example shows those.
//!
//! ```sh
//! CORDYNA_ADDR=localhost:7070 cargo run
//! ```

use std::collections::HashMap;
use std::error::Error;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cordyna_client::prost_types;
use cordyna_client::tonic::transport::Endpoint;
use cordyna_client::v1::connect_request::Message as Up;
use cordyna_client::v1::connect_response::Message as Down;
use cordyna_client::v1::task_server_service_client::TaskServerServiceClient;
use cordyna_client::v1::{
    ConnectRequest, Dependency, DependencyCondition, Heartbeat, Hello, Invoke, Owner, Pong,
    ProtocolVersion, TaskDeclaration, TaskState, TaskStateUpdate,
};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio_stream::wrappers::UnboundedReceiverStream;

const SERVER_NAME: &str = "outside-rust";
const TASK_ID: &str = "outside.rust.count-words";
const RATES: &str = "a.fetch-rates";

/// The task: how many words the run's `text` param holds.
fn count_words(invoke: &Invoke) -> HashMap<String, String> {
    let words = invoke
        .params
        .get("text")
        .map_or(0, |text| text.split_whitespace().count());
    // The Invoke carries the outputs of the task's upstream: team A's rates,
    // fetched in this run or reused from a fetch within the hour.
    let currencies = invoke
        .upstream
        .iter()
        .find(|upstream| upstream.task_id == RATES)
        .and_then(|rates| rates.outputs.get("currencies"))
        .map_or("unknown", String::as_str);
    HashMap::from([
        ("words".to_owned(), words.to_string()),
        ("counted_by".to_owned(), "rust".to_owned()),
        ("currencies".to_owned(), currencies.to_owned()),
    ])
}

fn main() -> ExitCode {
    let address = std::env::var("CORDYNA_ADDR").unwrap_or_else(|_| "localhost:7070".to_owned());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    match runtime
        .map_err(Box::from)
        .and_then(|runtime| runtime.block_on(serve(&address)))
    {
        Ok(()) => eprintln!("cerebro ended the stream"),
        Err(error) => eprintln!("{error}"),
    }
    ExitCode::FAILURE
}

fn send(up: &UnboundedSender<ConnectRequest>, message: Up) {
    // Fails only once the stream is gone, which ends serve() anyway.
    let _ = up.send(ConnectRequest {
        message: Some(message),
    });
}

async fn serve(address: &str) -> Result<(), Box<dyn Error>> {
    let channel = Endpoint::from_shared(format!("http://{address}"))?
        .connect()
        .await?;
    let (up, rx) = unbounded_channel();
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.subsec_nanos();
    send(
        &up,
        Up::Hello(Hello {
            server_name: SERVER_NAME.to_owned(),
            instance_id: format!("{SERVER_NAME}-{}-{nanos}", std::process::id()),
            protocol_version: Some(ProtocolVersion { major: 1, minor: 0 }),
            tasks: vec![TaskDeclaration {
                id: TASK_ID.to_owned(),
                description: "Counts the words of the run's text param".to_owned(),
                owner: Some(Owner {
                    team: "team-outside".to_owned(),
                    ..Default::default()
                }),
                dependencies: vec![Dependency {
                    task_id: RATES.to_owned(),
                    condition: DependencyCondition::FreshWithin.into(),
                    fresh_within: Some(prost_types::Duration {
                        seconds: 3600,
                        nanos: 0,
                    }),
                }],
                ..Default::default()
            }],
            ..Default::default()
        }),
    );
    let mut client = TaskServerServiceClient::new(channel);
    let mut down = client
        .connect(UnboundedReceiverStream::new(rx))
        .await?
        .into_inner();
    let mut seq = 0;
    let mut report = |attempt_id: &str, state: TaskState, outputs: HashMap<String, String>| {
        seq += 1;
        let update = TaskStateUpdate {
            seq,
            attempt_id: attempt_id.to_owned(),
            state: state.into(),
            outputs,
            ..Default::default()
        };
        send(&up, Up::TaskState(update));
    };
    while let Some(response) = down.message().await? {
        match response.message {
            Some(Down::Welcome(welcome)) => {
                let every = welcome
                    .heartbeat_interval
                    .and_then(|interval| Duration::try_from(interval).ok())
                    .filter(|interval| !interval.is_zero())
                    .unwrap_or(Duration::from_secs(5));
                let heartbeats = up.clone();
                tokio::spawn(async move {
                    let mut ticks = tokio::time::interval(every);
                    loop {
                        ticks.tick().await;
                        send(&heartbeats, Up::Heartbeat(Heartbeat::default()));
                    }
                });
                eprintln!("welcomed by cerebro at {address}");
            }
            Some(Down::Rejection(rejection)) => {
                let issues: Vec<String> = rejection.errors.into_iter().map(|e| e.message).collect();
                return Err(format!("rejected: {}", issues.join("; ")).into());
            }
            Some(Down::Invoke(invoke)) => {
                report(&invoke.attempt_id, TaskState::Started, HashMap::new());
                let outputs = count_words(&invoke);
                eprintln!("{} {}: {outputs:?}", invoke.task_id, invoke.attempt_id);
                report(&invoke.attempt_id, TaskState::Completed, outputs);
            }
            Some(Down::Ping(ping)) => send(&up, Up::Pong(Pong { nonce: ping.nonce })),
            // Acks, refusals and cancels need nothing from a task this quick.
            _ => {}
        }
    }
    Ok(())
}
