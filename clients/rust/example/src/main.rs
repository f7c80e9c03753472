//! An example Cordyna task-server: one Connect stream to cerebro, two tasks.
//!
//! Everything a task-server owes cerebro is in this file: the Hello, the
//! heartbeats, numbered state updates kept until acknowledged and resent
//! after a reconnect, cancels, and a drain on SIGTERM; the verification also
//! says how far it got (AttemptProgress), under a heartbeat deadline. The
//! tasks' own work is in `work`; replace it with yours. `telemetry.rs` runs each attempt's work
//! in a span of the run's trace, exported with OpenTelemetry's SDK.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet, VecDeque};
use std::error::Error;
use std::hash::BuildHasher;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use cordyna_client::prost_types;
use cordyna_client::v1::connect_request::Message as Up;
use cordyna_client::v1::connect_response::Message as Down;
use cordyna_client::v1::task_server_service_client::TaskServerServiceClient;
use cordyna_client::v1::{
    AttemptProgress, ConnectRequest, ConnectResponse, Deadlines, DeclarationIssueCode, Dependency,
    DependencyCondition, Drain, Heartbeat, Hello, Invoke, LogLevel, LogLine, LogStream, Owner,
    Pong, ProtocolVersion, Rejection, TaskDeclaration, TaskLogs, TaskState, TaskStateUpdate,
    Welcome,
};
use opentelemetry::Context;
use opentelemetry::trace::Tracer;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;
use tokio::task::{self, JoinError, JoinSet};
use tokio::time::{
    Instant, Interval, MissedTickBehavior, interval_at, sleep, sleep_until, timeout,
};
use tokio_stream::wrappers::UnboundedReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Code, Request, Status, Streaming};

const IMPORT: &str = "rust.import";
const VERIFY: &str = "rust.verify";
const AGENT: &str = "cordyna-example-rust/0.1.0";
const MAX_CONCURRENCY: usize = 4;
/// Used until a Welcome names the interval.
const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(5);
/// Protocol 1.3: a cerebro whose Welcome says 1.3 or later keeps attempts' logs.
const TASK_LOGS_MINOR: u32 = 3;
/// Protocol 1.4: a cerebro whose Welcome says 1.4 or later takes AttemptProgress.
const ATTEMPT_PROGRESS_MINOR: u32 = 4;
/// The verification's heartbeat deadline: silent for longer, cerebro ends it.
const VERIFY_HEARTBEAT: Duration = Duration::from_secs(2);
/// The verification's steps, each followed by an AttemptProgress.
const VERIFY_STEPS: u32 = 10;
/// The most lines one TaskLogs message carries (the proto's limit); more are counted as dropped.
const MAX_LOG_LINES: usize = 1000;
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// A Connect call must have its answer by then, or the attempt counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a drain waits for running attempts and the acks of their updates.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for cerebro to end the stream after we half-closed it.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// Attempt ids remembered to ignore a repeated Invoke.
const REMEMBERED: usize = 10_000;
/// How long the exit waits for the spans still buffered to be exported.
const SPANS_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

type Outputs = HashMap<String, String>;

macro_rules! log {
    ($($arg:tt)*) => { eprintln!("cordyna-example-rust: {}", format_args!($($arg)*)) };
}

mod telemetry;

#[tokio::main]
async fn main() -> ExitCode {
    let started = Config::from_env().and_then(Server::new).and_then(|server| {
        let spans = telemetry::start(&server.config.server_name)?;
        Ok((server, spans))
    });
    let (server, spans) = match started {
        Ok(started) => started,
        Err(problem) => {
            log!("{problem}");
            return ExitCode::FAILURE;
        }
    };
    let code = server.run().await;
    if let Some(provider) = spans {
        telemetry::stop(provider, SPANS_FLUSH_TIMEOUT).await;
    }
    code
}

struct Config {
    addr: String,
    /// None: plaintext.
    tls: Option<ClientTlsConfig>,
    /// `Bearer <CORDYNA_TOKEN>`, sent on every stream; None: no token.
    authorization: Option<MetadataValue<Ascii>>,
    server_name: String,
    instance_id: String,
    work: Duration,
}

impl Config {
    fn from_env() -> Result<Self, String> {
        let var =
            |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
        let work_ms = var("CORDYNA_EXAMPLE_WORK_MS", "100");
        let work_ms: u64 = work_ms.parse().map_err(|_| {
            format!("CORDYNA_EXAMPLE_WORK_MS must be milliseconds, not {work_ms:?}")
        })?;
        let server_name = var("CORDYNA_SERVER_NAME", "rust-example");
        // A restarted process must not take over its predecessor's session.
        let instance_id =
            format!("{server_name}-{}-{:06x}", std::process::id(), random() & 0xff_ffff);
        Ok(Self {
            addr: var("CORDYNA_ADDR", "localhost:7070"),
            tls: tls_from_env()?,
            authorization: authorization_from_env()?,
            server_name,
            instance_id,
            work: Duration::from_millis(work_ms),
        })
    }
}

/// The `authorization` header for cerebro, from CORDYNA_TOKEN: cerebro with
/// authentication on refuses a stream without one.
fn authorization_from_env() -> Result<Option<MetadataValue<Ascii>>, String> {
    let token = std::env::var("CORDYNA_TOKEN").unwrap_or_default();
    let token = token.trim();
    if token.is_empty() {
        return Ok(None);
    }
    // Checked here, so that a token that cannot be a header stops the start.
    format!("Bearer {token}")
        .parse()
        .map(Some)
        .map_err(|_| "CORDYNA_TOKEN holds characters a header cannot carry".to_owned())
}

/// TLS towards cerebro from the variables every Cordyna client reads, or
/// None for plaintext: CORDYNA_TLS_CA trusts that CA (and only it),
/// CORDYNA_TLS_CLIENT_CERT and _KEY present a client certificate, and
/// CORDYNA_TLS=on alone trusts the system's CAs.
fn tls_from_env() -> Result<Option<ClientTlsConfig>, String> {
    let value = |name: &str| {
        std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    };
    let read = |name: &str| {
        let read = |path: String| {
            std::fs::read(&path).map_err(|error| format!("{name}: cannot read {path}: {error}"))
        };
        value(name).map(read).transpose()
    };
    let on = match value("CORDYNA_TLS").as_deref() {
        None | Some("off" | "false" | "0") => false,
        Some("on" | "true" | "1") => true,
        Some(other) => return Err(format!("CORDYNA_TLS: {other:?} is neither on nor off")),
    };
    let ca = read("CORDYNA_TLS_CA")?;
    let identity = match (read("CORDYNA_TLS_CLIENT_CERT")?, read("CORDYNA_TLS_CLIENT_KEY")?) {
        (Some(cert), Some(key)) => Some(Identity::from_pem(cert, key)),
        (None, None) => None,
        _ => {
            return Err(
                "CORDYNA_TLS_CLIENT_CERT and CORDYNA_TLS_CLIENT_KEY go together: set both".into()
            );
        }
    };
    if ca.is_none() && identity.is_none() && !on {
        return Ok(None);
    }
    let tls = match ca {
        Some(ca) => ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca)),
        None => ClientTlsConfig::new().with_native_roots(),
    };
    Ok(Some(match identity {
        Some(identity) => tls.identity(identity),
        None => tls,
    }))
}

fn declarations() -> Vec<TaskDeclaration> {
    let owner = Some(Owner { team: "team-rust".into(), contact: "rust@example.com".into() });
    vec![
        TaskDeclaration {
            id: IMPORT.into(),
            description: "Imports the day's records".into(),
            owner: owner.clone(),
            ..Default::default()
        },
        TaskDeclaration {
            id: VERIFY.into(),
            description: "Verifies the cleaned records".into(),
            owner,
            dependencies: vec![Dependency {
                task_id: "python.clean".into(),
                condition: DependencyCondition::RunFirst.into(),
                fresh_within: None,
            }],
            // Ended in ERROR(HEARTBEAT_TIMEOUT) should it go silent for longer.
            deadlines: Some(Deadlines {
                heartbeat: Some(prost_types::Duration {
                    seconds: VERIFY_HEARTBEAT.as_secs() as i64,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            ..Default::default()
        },
    ]
}

/// What an attempt's work ended with, and the lines it logged.
type Done = (String, Result<Outputs, String>, Vec<String>);

/// How an attempt's work says how far it got: each report goes to the
/// session loop, which sends it as an AttemptProgress when cerebro takes
/// them (protocol 1.4) and the attempt still runs.
#[derive(Clone)]
struct Progress {
    attempt_id: String,
    tx: mpsc::UnboundedSender<AttemptProgress>,
}

impl Progress {
    /// `fraction` from 0 to 1; also a heartbeat, which re-arms the task's heartbeat deadline.
    fn report(&self, fraction: f64, message: String) {
        let _ = self.tx.send(AttemptProgress {
            attempt_id: self.attempt_id.clone(),
            fraction: Some(fraction.clamp(0.0, 1.0)),
            message,
            details: String::new(),
        });
    }
}

/// The tasks' work, with the lines it logs, in the attempt's handler span
/// `span`. The import completes at once; the verification takes the
/// configured time in ten steps, reporting its progress after each, and
/// stops early when cancelled.
async fn work(
    task_id: String,
    params: HashMap<String, String>,
    duration: Duration,
    cancel: CancellationToken,
    progress: Progress,
    span: Context,
) -> (Result<Outputs, String>, Vec<String>) {
    let log = vec![format!("{task_id}: working on {} params", params.len())];
    (telemetry::in_span(span, perform(task_id, params, duration, cancel, progress)).await, log)
}

async fn perform(
    task_id: String,
    params: HashMap<String, String>,
    duration: Duration,
    cancel: CancellationToken,
    progress: Progress,
) -> Result<Outputs, String> {
    if params.get("fail") == Some(&task_id) {
        return Err("failed on purpose".into());
    }
    match task_id.as_str() {
        // A span of the task's own nests under the handler's span.
        IMPORT => telemetry::tracer()
            .in_span("import records", |_| Ok(Outputs::from([("records".into(), "3".into())]))),
        VERIFY => {
            for step in 1..=VERIFY_STEPS {
                tokio::select! {
                    () = sleep(duration / VERIFY_STEPS) => {}
                    () = cancel.cancelled() => return Err("stopped before it finished".into()),
                }
                let fraction = f64::from(step) / f64::from(VERIFY_STEPS);
                progress.report(fraction, format!("{step} of {VERIFY_STEPS} batches verified"));
            }
            Ok(Outputs::from([("verified".into(), "3".into())]))
        }
        other => Err(format!("no work for task {other}")),
    }
}

/// Every TaskStateUpdate until cerebro acknowledges it. Updates are numbered
/// per stream: from 1 on each new stream, in the order they are sent.
#[derive(Default)]
struct Outbox {
    /// The seq each update was sent with on the current stream, if it was.
    entries: Vec<(Option<u64>, TaskStateUpdate)>,
    last_seq: u64,
    open: bool,
}

impl Outbox {
    /// Keeps the update; returns it numbered when it can be sent now.
    fn push(&mut self, update: TaskStateUpdate) -> Option<TaskStateUpdate> {
        let seq = self.open.then(|| {
            self.last_seq += 1;
            self.last_seq
        });
        let numbered = seq.map(|seq| TaskStateUpdate { seq, ..update.clone() });
        self.entries.push((seq, update));
        numbered
    }

    /// A new stream was welcomed: everything unacknowledged, renumbered from 1.
    fn open(&mut self) -> Vec<TaskStateUpdate> {
        self.open = true;
        self.last_seq = self.entries.len() as u64;
        let numbered = self.entries.iter_mut().zip(1..).map(|((seq, update), n)| {
            *seq = Some(n);
            TaskStateUpdate { seq: n, ..update.clone() }
        });
        numbered.collect()
    }

    fn close(&mut self) {
        self.open = false;
        self.entries.iter_mut().for_each(|(seq, _)| *seq = None);
    }

    fn ack(&mut self, through_seq: u64) {
        self.entries.retain(|(seq, _)| seq.is_none_or(|seq| seq > through_seq));
    }

    /// A refused update counts as acknowledged: it must not be resent.
    fn refuse(&mut self, refused: u64) {
        self.entries.retain(|(seq, _)| *seq != Some(refused));
    }

    fn attempt_ids(&self) -> impl Iterator<Item = &String> {
        self.entries.iter().map(|(_, update)| &update.attempt_id)
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// What to report when a stopped attempt's work ends.
enum Stop {
    Report(String),
    Quietly,
}

struct Running {
    task: task::Id,
    cancel: CancellationToken,
    stop: Option<Stop>,
}

/// The current stream's sending half. Dropping it half-closes the stream.
struct Link {
    tx: mpsc::UnboundedSender<ConnectRequest>,
    welcomed: bool,
    /// Its cerebro keeps attempts' logs (protocol 1.3).
    takes_logs: bool,
    /// Its cerebro takes AttemptProgress (protocol 1.4).
    takes_progress: bool,
}

struct Draining {
    deadline: Instant,
    /// The stream was half-closed; waiting for cerebro to end it.
    closing: bool,
}

struct Server {
    config: Config,
    client: TaskServerServiceClient<Channel>,
    link: Option<Link>,
    outbox: Outbox,
    running: HashMap<String, Running>,
    queue: VecDeque<Invoke>,
    work: JoinSet<Done>,
    /// Every attempt id taken, so that a repeated Invoke never runs twice.
    known: HashSet<String>,
    known_order: VecDeque<String>,
    draining: Option<Draining>,
    /// What the attempts' work reports of its progress, for the session loop to send.
    progress_tx: mpsc::UnboundedSender<AttemptProgress>,
    progress_rx: mpsc::UnboundedReceiver<AttemptProgress>,
}

impl Server {
    fn new(config: Config) -> Result<Self, String> {
        // One lazy channel for the whole process: it reconnects underneath
        // each new Connect call. Keepalive pings every 10 s, as cerebro allows.
        let scheme = if config.tls.is_some() { "https" } else { "http" };
        let mut endpoint = Endpoint::from_shared(format!("{scheme}://{}", config.addr))
            .map_err(|error| format!("CORDYNA_ADDR {:?} is not host:port: {error}", config.addr))?;
        if let Some(tls) = config.tls.clone() {
            endpoint = endpoint
                .tls_config(tls)
                .map_err(|error| with_causes(format!("TLS settings: {error}"), error.source()))?;
        }
        let channel = endpoint
            .connect_timeout(Duration::from_secs(5))
            .http2_keep_alive_interval(Duration::from_secs(10))
            .keep_alive_timeout(Duration::from_secs(5))
            .connect_lazy();
        let (progress_tx, progress_rx) = mpsc::unbounded_channel();
        Ok(Self {
            config,
            client: TaskServerServiceClient::new(channel),
            link: None,
            outbox: Outbox::default(),
            running: HashMap::new(),
            queue: VecDeque::new(),
            work: JoinSet::new(),
            known: HashSet::new(),
            known_order: VecDeque::new(),
            draining: None,
            progress_tx,
            progress_rx,
        })
    }

    async fn run(mut self) -> ExitCode {
        let mut signals = Signals::new();
        let mut inbound: Option<Streaming<ConnectResponse>> = None;
        let mut heartbeat: Option<Interval> = None;
        let mut failures = 0;
        let mut retry_at = Instant::now();
        // Until the first Welcome, a refusal of who we are ends the process.
        let mut ever_welcomed = false;
        log!(
            "starting {} (instance {}), cerebro at {}{}{}",
            self.config.server_name,
            self.config.instance_id,
            self.config.addr,
            if self.config.tls.is_some() { " over TLS" } else { "" },
            if self.config.authorization.is_some() { " with CORDYNA_TOKEN" } else { "" }
        );
        loop {
            let closing = self.draining.as_ref().is_some_and(|d| d.closing);
            if inbound.is_none() && !closing && Instant::now() >= retry_at {
                match self.connect().await {
                    Ok(stream) => inbound = Some(stream),
                    Err(status) if !ever_welcomed && refused(&status) => {
                        log!("cerebro refused this task-server: {}", status.message());
                        return ExitCode::FAILURE;
                    }
                    Err(status) => {
                        let delay = backoff(&mut failures);
                        let problem = describe(&status);
                        log!("cannot connect to cerebro: {problem}; retrying in {delay:?}");
                        retry_at = Instant::now() + delay;
                    }
                }
            }
            let drain_deadline = self.draining.as_ref().map(|d| d.deadline);
            tokio::select! {
                message = next_message(&mut inbound) => match message {
                    Ok(Some(ConnectResponse { message: Some(Down::Welcome(welcome)) })) => {
                        failures = 0;
                        ever_welcomed = true;
                        heartbeat = Some(ticker(&welcome));
                        self.on_welcome(welcome);
                    }
                    Ok(Some(ConnectResponse { message: Some(Down::Rejection(rejection)) })) => {
                        log_rejection(&rejection);
                        return ExitCode::FAILURE;
                    }
                    Ok(Some(ConnectResponse { message: Some(message) })) => self.on_message(message),
                    Ok(Some(ConnectResponse { message: None })) => log!("ignoring an empty message"),
                    Ok(None) | Err(_) if closing => {
                        log!("stream closed; drained");
                        return ExitCode::SUCCESS;
                    }
                    Err(status) if !ever_welcomed && refused(&status) => {
                        log!("cerebro refused this task-server: {}", status.message());
                        return ExitCode::FAILURE;
                    }
                    end => {
                        match end {
                            Err(status) => log!("stream lost: {}", describe(&status)),
                            _ => log!("stream ended by cerebro"),
                        }
                        inbound = None;
                        heartbeat = None;
                        self.link = None;
                        self.outbox.close();
                        let delay = backoff(&mut failures);
                        log!(
                            "reconnecting in {delay:?} ({} attempts running, {} updates unacknowledged)",
                            self.running.len(), self.outbox.len()
                        );
                        retry_at = Instant::now() + delay;
                    }
                },
                () = tick(&mut heartbeat) => {
                    let running_attempt_ids = self.active_attempt_ids();
                    self.send(Up::Heartbeat(Heartbeat { running_attempt_ids }));
                }
                Some(joined) = self.work.join_next(), if !self.work.is_empty() => self.on_work_done(joined),
                Some(progress) = self.progress_rx.recv() => self.on_progress(progress),
                name = signals.recv() => if self.on_signal(name) {
                    return ExitCode::SUCCESS;
                },
                () = sleep_until(retry_at), if inbound.is_none() && !closing => {}
                () = sleep_until(drain_deadline.unwrap_or(retry_at)), if drain_deadline.is_some() => {}
            }
            if self.advance_drain() {
                return ExitCode::SUCCESS;
            }
        }
    }

    /// Opens a new stream; its first message is the Hello.
    async fn connect(&mut self) -> Result<Streaming<ConnectResponse>, Status> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut running_attempt_ids = self.active_attempt_ids();
        // An attempt whose last update is unacknowledged is not lost either:
        // naming it lets cerebro wait for the resent update.
        for id in self.outbox.attempt_ids() {
            if !running_attempt_ids.contains(id) {
                running_attempt_ids.push(id.clone());
            }
        }
        let hello = Hello {
            server_name: self.config.server_name.clone(),
            instance_id: self.config.instance_id.clone(),
            protocol_version: Some(ProtocolVersion { major: 1, minor: 0 }),
            tasks: declarations(),
            running_attempt_ids,
            max_concurrency: MAX_CONCURRENCY as u32,
            agent: AGENT.into(),
            // A handful of tasks: one message holds them all.
            tasks_continue: false,
            // Fields a later minor version adds keep their defaults (no candidate: a live server).
            ..Default::default()
        };
        log!("connecting, hello with {} running attempts", hello.running_attempt_ids.len());
        let _ = tx.send(ConnectRequest { message: Some(Up::Hello(hello)) });
        let mut request = Request::new(UnboundedReceiverStream::new(rx));
        if let Some(authorization) = &self.config.authorization {
            request.metadata_mut().insert("authorization", authorization.clone());
        }
        let call = self.client.connect(request);
        let response = timeout(CONNECT_TIMEOUT, call).await.map_err(|_| {
            Status::deadline_exceeded(format!("no answer within {CONNECT_TIMEOUT:?}"))
        })??;
        self.link = Some(Link { tx, welcomed: false, takes_logs: false, takes_progress: false });
        Ok(response.into_inner())
    }

    fn on_welcome(&mut self, welcome: Welcome) {
        log!("welcomed: session {}", welcome.session_id);
        for warning in &welcome.warnings {
            log!(
                "declaration warning: {} {}: {}",
                warning.task_id,
                issue_code(warning.code),
                warning.message
            );
        }
        for attempt_id in &welcome.unknown_attempt_ids {
            self.stop(attempt_id, Stop::Quietly, "cerebro no longer wants it");
        }
        if let Some(link) = &mut self.link {
            link.welcomed = true;
            let minor =
                welcome.protocol_version.filter(|version| version.major == 1).map(|v| v.minor);
            link.takes_logs = minor.is_some_and(|minor| minor >= TASK_LOGS_MINOR);
            link.takes_progress = minor.is_some_and(|minor| minor >= ATTEMPT_PROGRESS_MINOR);
        }
        let resend = self.outbox.open();
        if !resend.is_empty() {
            log!("resending {} unacknowledged updates", resend.len());
        }
        for update in resend {
            self.send(Up::TaskState(update));
        }
        if self.draining.is_some() {
            self.send(Up::Drain(Drain {}));
        }
    }

    fn on_message(&mut self, message: Down) {
        match message {
            Down::Invoke(invoke) => self.on_invoke(invoke),
            // Sent only to 1.1 servers; this one says 1.0, but taking it costs nothing.
            Down::Invokes(batch) => {
                batch.invokes.into_iter().for_each(|invoke| self.on_invoke(invoke))
            }
            Down::Cancel(cancel) => {
                let description = format!("cancelled: {}", cancel.reason);
                self.stop(&cancel.attempt_id, Stop::Report(description), &cancel.reason);
            }
            Down::Ack(ack) => self.outbox.ack(ack.through_seq),
            // Seq 0 refuses an AttemptProgress: this example sends the next anyway.
            Down::Refusal(refusal) if refusal.seq == 0 => log!(
                "attempt {}: progress refused: {} {}",
                refusal.attempt_id,
                refusal.code,
                refusal.message
            ),
            Down::Refusal(refusal) => {
                log!(
                    "attempt {}: update seq {} refused, dropped: {} {}",
                    refusal.attempt_id,
                    refusal.seq,
                    refusal.code,
                    refusal.message
                );
                self.outbox.refuse(refusal.seq);
            }
            Down::Ping(ping) => self.send(Up::Pong(Pong { nonce: ping.nonce })),
            Down::LogsRefused(refused) => log!(
                "attempt {}: {} log lines not kept: {} {}",
                refused.attempt_id,
                refused.lines,
                refused.code,
                refused.message
            ),
            Down::Welcome(_) | Down::Rejection(_) => unreachable!("handled by the session loop"),
        }
    }

    fn on_invoke(&mut self, invoke: Invoke) {
        let id = invoke.attempt_id.clone();
        if self.known.contains(&id) {
            log!("attempt {id}: repeated invoke ignored");
            return;
        }
        self.remember(&id);
        log!(
            "attempt {id}: invoke of {} (run {}, try {})",
            invoke.task_id,
            invoke.run_id,
            invoke.attempt_number
        );
        if self.draining.is_some() {
            // Cerebro stops invoking once it has our Drain; this one crossed it.
            self.report(
                &id,
                TaskState::Error,
                "task-server is draining; invoke another instance",
                Outputs::new(),
            );
        } else if invoke.task_id != IMPORT && invoke.task_id != VERIFY {
            let description = format!("unknown task {}", invoke.task_id);
            self.report_update(TaskStateUpdate {
                non_retryable: true,
                ..update(&id, TaskState::Error, &description)
            });
        } else if self.running.len() < MAX_CONCURRENCY {
            self.start(invoke);
        } else {
            self.report(&id, TaskState::Queued, "", Outputs::new());
            self.queue.push_back(invoke);
        }
    }

    fn start(&mut self, invoke: Invoke) {
        let span = telemetry::handler_span(&invoke);
        let Invoke { attempt_id, task_id, params, .. } = invoke;
        self.report(&attempt_id, TaskState::Started, "", Outputs::new());
        let cancel = CancellationToken::new();
        let progress = Progress { attempt_id: attempt_id.clone(), tx: self.progress_tx.clone() };
        let job = work(task_id, params, self.config.work, cancel.clone(), progress, span);
        let id = attempt_id.clone();
        let task = self
            .work
            .spawn(async move {
                let (outcome, log) = job.await;
                (id, outcome, log)
            })
            .id();
        self.running.insert(attempt_id, Running { task, cancel, stop: None });
    }

    fn on_work_done(&mut self, joined: Result<Done, JoinError>) {
        let (attempt_id, outcome, log) = match joined {
            Ok(done) => done,
            Err(error) => {
                let found = self.running.iter().find(|(_, run)| run.task == error.id());
                let Some((attempt_id, _)) = found else { return };
                (attempt_id.clone(), Err(format!("the work panicked: {error}")), Vec::new())
            }
        };
        let Some(run) = self.running.remove(&attempt_id) else {
            return;
        };
        // Before the final update: a follower of the attempt's log stops at it.
        self.send_logs(&attempt_id, log);
        match (run.stop, outcome) {
            (Some(Stop::Quietly), _) => log!("attempt {attempt_id}: stopped"),
            (Some(Stop::Report(description)), _) | (None, Err(description)) => {
                self.report(&attempt_id, TaskState::Error, &description, Outputs::new());
            }
            (None, Ok(outputs)) => self.report(&attempt_id, TaskState::Completed, "", outputs),
        }
        while self.running.len() < MAX_CONCURRENCY {
            let Some(next) = self.queue.pop_front() else {
                break;
            };
            self.start(next);
        }
    }

    /// Sends what a running attempt says of its progress, when cerebro takes
    /// it (protocol 1.4); without a welcomed stream it is dropped, as are
    /// reports of attempts that have ended or are being stopped.
    fn on_progress(&mut self, progress: AttemptProgress) {
        let takes = self.link.as_ref().is_some_and(|link| link.welcomed && link.takes_progress);
        let running = self.running.get(&progress.attempt_id).is_some_and(|run| run.stop.is_none());
        if takes && running {
            self.send(Up::AttemptProgress(progress));
        }
    }

    /// Stops an attempt, running or queued; a queued one never starts.
    fn stop(&mut self, attempt_id: &str, stop: Stop, reason: &str) {
        if let Some(run) = self.running.get_mut(attempt_id) {
            if run.stop.is_none() {
                log!("attempt {attempt_id}: stopping ({reason})");
                run.stop = Some(stop);
                run.cancel.cancel();
            }
        } else if let Some(index) = self.queue.iter().position(|q| q.attempt_id == attempt_id) {
            self.queue.remove(index);
            log!("attempt {attempt_id}: dropped from the queue ({reason})");
            if let Stop::Report(description) = stop {
                self.report(attempt_id, TaskState::Error, &description, Outputs::new());
            }
        } else {
            log!("attempt {attempt_id}: nothing to stop ({reason})");
        }
    }

    /// Returns true when the process should stop at once.
    fn on_signal(&mut self, name: &str) -> bool {
        if self.draining.is_some() {
            log!("{name} again: stopping now");
            return true;
        }
        log!("{name}: draining ({} running, {} queued)", self.running.len(), self.queue.len());
        self.draining = Some(Draining { deadline: Instant::now() + DRAIN_TIMEOUT, closing: false });
        if self.link.as_ref().is_some_and(|link| link.welcomed) {
            self.send(Up::Drain(Drain {}));
        }
        false
    }

    /// Moves a drain on: once every attempt has ended and every update is
    /// acknowledged (or the time is up), half-closes the stream. Returns true
    /// when the process may exit.
    fn advance_drain(&mut self) -> bool {
        let Some(draining) = &mut self.draining else {
            return false;
        };
        let now = Instant::now();
        if draining.closing {
            if now >= draining.deadline {
                log!("cerebro did not end the stream within {CLOSE_TIMEOUT:?}");
            }
            return now >= draining.deadline;
        }
        let done = self.running.is_empty() && self.queue.is_empty() && self.outbox.len() == 0;
        if !done && now < draining.deadline {
            return false;
        }
        if !done {
            // Attempts left running now end as SERVER_LOST in cerebro.
            log!(
                "drain timed out: {} attempts running, {} updates unacknowledged",
                self.running.len() + self.queue.len(),
                self.outbox.len()
            );
        }
        if self.link.take().is_none() {
            log!("not connected; exiting");
            return true;
        }
        log!("closing the stream");
        draining.closing = true;
        draining.deadline = now + CLOSE_TIMEOUT;
        false
    }

    fn report(&mut self, attempt_id: &str, state: TaskState, description: &str, outputs: Outputs) {
        self.report_update(TaskStateUpdate { outputs, ..update(attempt_id, state, description) });
    }

    fn report_update(&mut self, update: TaskStateUpdate) {
        let mut what = TaskState::try_from(update.state).map_or("?", state_name).to_owned();
        if !update.error_description.is_empty() {
            what = format!("{what} ({})", update.error_description);
        }
        let attempt_id = update.attempt_id.clone();
        match self.outbox.push(update) {
            Some(stamped) => {
                log!("attempt {attempt_id}: {what}, seq {}", stamped.seq);
                self.send(Up::TaskState(stamped));
            }
            None => log!("attempt {attempt_id}: {what}, kept until connected"),
        }
    }

    /// Sends what an attempt logged, when the stream's cerebro keeps logs. Lines
    /// logged while no stream is welcomed are not kept: this example sends
    /// them once, when the attempt's work ends.
    fn send_logs(&self, attempt_id: &str, mut lines: Vec<String>) {
        let takes_logs = self.link.as_ref().is_some_and(|link| link.welcomed && link.takes_logs);
        if lines.is_empty() || !takes_logs {
            return;
        }
        let dropped = lines.len().saturating_sub(MAX_LOG_LINES);
        let now = SystemTime::now();
        let lines = lines
            .drain(dropped..)
            .map(|text| LogLine {
                time: Some(now.into()),
                level: LogLevel::Info.into(),
                stream: LogStream::Logger.into(),
                text,
            })
            .collect();
        self.send(Up::TaskLogs(TaskLogs {
            attempt_id: attempt_id.into(),
            lines,
            dropped_lines: dropped as u64,
        }));
    }

    fn send(&self, message: Up) {
        if let Some(link) = &self.link {
            // A send on a broken stream is lost; the outbox still has what matters.
            let _ = link.tx.send(ConnectRequest { message: Some(message) });
        }
    }

    /// Running and queued attempts, not those being stopped.
    fn active_attempt_ids(&self) -> Vec<String> {
        let running = self.running.iter().filter(|(_, run)| run.stop.is_none()).map(|(id, _)| id);
        running.chain(self.queue.iter().map(|q| &q.attempt_id)).cloned().collect()
    }

    fn remember(&mut self, attempt_id: &str) {
        self.known.insert(attempt_id.to_owned());
        self.known_order.push_back(attempt_id.to_owned());
        if self.known_order.len() > REMEMBERED
            && let Some(oldest) = self.known_order.pop_front()
        {
            self.known.remove(&oldest);
        }
    }
}

fn update(attempt_id: &str, state: TaskState, description: &str) -> TaskStateUpdate {
    TaskStateUpdate {
        attempt_id: attempt_id.into(),
        state: state.into(),
        error_description: description.into(),
        time: Some(SystemTime::now().into()),
        ..Default::default()
    }
}

fn log_rejection(rejection: &Rejection) {
    log!("rejected by cerebro: {}", rejection.message);
    for issue in &rejection.errors {
        log!("  {} {}: {}", issue.task_id, issue_code(issue.code), issue.message);
    }
}

/// Refused for who it is (no or a bad token or client certificate): trying again changes nothing.
fn refused(status: &Status) -> bool {
    matches!(status.code(), Code::Unauthenticated | Code::PermissionDenied)
}

/// The status, with the causes of a transport error (e.g. an untrusted certificate).
fn describe(status: &Status) -> String {
    with_causes(format!("{:?} {}", status.code(), status.message()), status.source())
}

/// `text`, then each cause that it does not already say.
fn with_causes(mut text: String, mut source: Option<&(dyn Error + 'static)>) -> String {
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text = format!("{text}: {said}");
        }
        source = cause.source();
    }
    text
}

fn issue_code(code: i32) -> &'static str {
    DeclarationIssueCode::try_from(code)
        .map_or("UNKNOWN", |code| code.as_str_name().trim_start_matches("DECLARATION_ISSUE_CODE_"))
}

fn state_name(state: TaskState) -> &'static str {
    state.as_str_name().trim_start_matches("TASK_STATE_")
}

/// The next message on the stream; never resolves while there is none.
async fn next_message(
    inbound: &mut Option<Streaming<ConnectResponse>>,
) -> Result<Option<ConnectResponse>, tonic::Status> {
    match inbound {
        Some(stream) => stream.message().await,
        None => std::future::pending().await,
    }
}

fn ticker(welcome: &Welcome) -> Interval {
    let period = welcome
        .heartbeat_interval
        .and_then(|interval| Duration::try_from(interval).ok())
        .filter(|period| !period.is_zero())
        .unwrap_or(DEFAULT_HEARTBEAT);
    let mut ticker = interval_at(Instant::now() + period, period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticker
}

async fn tick(heartbeat: &mut Option<Interval>) {
    match heartbeat {
        Some(ticker) => {
            ticker.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Exponential, capped, with jitter so that replicas do not reconnect in step.
fn backoff(failures: &mut u32) -> Duration {
    let ceiling = BACKOFF_MIN.saturating_mul(1 << (*failures).min(16)).min(BACKOFF_MAX);
    *failures += 1;
    let half = ceiling / 2;
    half + half.mul_f64((random() % 1000) as f64 / 1000.0)
}

fn random() -> u64 {
    RandomState::new().hash_one(SystemTime::now())
}

struct Signals {
    term: Signal,
    int: Signal,
}

impl Signals {
    fn new() -> Self {
        let listen = |kind| signal(kind).expect("cannot listen for signals");
        Self { term: listen(SignalKind::terminate()), int: listen(SignalKind::interrupt()) }
    }

    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}
