// Help texts of dyna and its commands.

const COMMON = `Common flags:
  --cerebro host:port   cerebro's address (else $CORDYNA_ADDR, else the
                        profile's, else localhost:7070)
  --profile NAME        a profile of the config file (else $CORDYNA_PROFILE,
                        else the file's default_profile): "dyna help profiles"
  (credentials: a bearer token in $CORDYNA_TOKEN; TLS in $CORDYNA_TLS_*;
  each from the profile when unset)
  --json                print the response as one JSON document
  -h, --help            show this help`;

/** Help of each command, by command name. */
export const COMMAND_HELP: Readonly<Record<string, string>> = {
  auth: `Usage: dyna auth token create --team T --role server|viewer|operator|admin
                         [--server NAME]... [--expires 90d] [--description TEXT]
                         [--certificate-cn CN]
       dyna auth token list
       dyna auth token revoke <id>
       dyna auth whoami

Credentials decide who may do what (admins manage them):
  server    connects task-servers for its --server names and declares its
            team's tasks
  viewer    reads runs, tasks, servers, the graph and events
  operator  a viewer that starts, cancels and backfills runs of its team's
            tasks (with --downstream, downstream tasks of other teams too)
  admin     everything, including credentials and every team's audit trail

"create" prints the token once, on stdout: cerebro keeps only its hash. Pass
it as CORDYNA_TOKEN (the SDKs, dyna and the examples read it), or as
"authorization: Bearer <token>" (grpcurl -H, curl -H). With --certificate-cn
no token is made: client certificates with that common name, verified
against cerebro's client CA, act as this principal. "revoke" takes effect at
once, also on the streams the credential opened.

Flags:
  --team T             the team it acts for (an admin may have none)
  --role R             server, viewer, operator or admin
  --server NAME        a server name it may serve (repeat; server role only)
  --expires D          valid for D (90d, 12h, 30m); default: until revoked
  --description TEXT   what it is for, shown by list and in the audit trail
  --certificate-cn CN  accept client certificates with this common name instead
${COMMON}`,

  health: `Usage: dyna health [--service NAME]

Asks cerebro's standard gRPC health service whether it serves (or whether
one of its services does), as load balancers and container health checks
do. Needs no credential. Prints SERVING, NOT_SERVING, SERVICE_UNKNOWN or
UNKNOWN.

Exit codes: 0 SERVING; 1 NOT_SERVING or UNKNOWN; 3 cerebro unreachable, or
no such service (NOT_FOUND).
${COMMON}`,

  audit: `Usage: dyna audit [--team T] [--since 24h|<ISO time>] [--limit N]

Shows the audit trail, newest first: every mutating call (runs started and
cancelled, task-servers connected, declarations, credentials) and every
refusal, with the principal, its address and, for a refusal, why. Admins see
every team's entries (or --team's); others see their own team's.

Flags:
  --team T      only this team's entries (admins)
  --since S     only entries since a duration ago (24h, 7d) or a time
  --limit N     at most N entries (default 100, at most 1000)
${COMMON}`,

  dev: `Usage: dyna dev [--port N] [--http-port N|off] [--host H] [--store memory|<redis-url>]
                [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]
                [--auth on|off] [--insecure-no-auth]
                [--run-retention D] [--max-finished-runs N] [--server-retention D]

Starts cerebro in this process. On the in-memory store (the default) every
run is gone when it stops: for trying Cordyna out and for tests. On Redis,
runs, deadlines and declarations survive a restart of cerebro. Stops cleanly
on Ctrl-C (SIGINT) or SIGTERM.

Flags:
  --port N      port of the gRPC API (default 7070; 0 picks a free one)
  --http-port N port of the HTTP/JSON gateway for curl, which also serves
                Prometheus metrics at GET /metrics (default: the one after
                --port, so 7071; with --port 0 a free one; off turns it off)
  --host H      host to listen on (default localhost)
  --store S     where state lives (default memory):
                  memory
                  redis://[user:password@]host[:port][/db]
                  rediss://[user:password@]host[:port][/db]    (TLS)
                  redis-sentinel://host1[:port1][,host2[:port2]...]/mastername[/db]
                Redis should persist (appendonly yes); cerebro warns if not.
  --redis-prefix P  prefix of every Redis key (default "cordyna:"), so that
                several cerebros can share one Redis
  --tls-cert FILE, --tls-key FILE
                serve TLS on both ports with this PEM certificate and key
                (HTTP/1.1 JSON is then also served on the gRPC port)
  --tls-client-ca FILE
                verify client certificates against this PEM CA (mTLS):
                task-servers must present one; the CLI and other callers may
                present one too (a credential may name its common name)
  --auth on|off whether every call needs a credential (a bearer token, or a
                client certificate a credential names). Default: off on a
                loopback address (every caller on this machine is an
                admin; the greeting says so) unless CORDYNA_ADMIN_TOKEN is
                set, on anywhere else
  --insecure-no-auth
                run without authentication on an address the network
                reaches (anyone there is an admin of every team); warned at
                every start
  --json        print {"address": "host:port", "httpAddress": "host:port",
                "authentication": true|false} instead of the greeting
  --run-retention D
                how long a finished run is kept (default 30d; e.g. 12h,
                90m); the last completion of each task stays for freshness
  --max-finished-runs N
                how many finished runs are kept at most, the most recently
                finished (default 100000)
  --server-retention D
                how long a server name with no connected instance stays in
                "dyna servers" (default 24h); its declarations stay until
                "dyna servers forget"
  --json        print {"address": "host:port", "httpAddress": "host:port"}
                instead of the greeting
  -h, --help    show this help

Environment: the cerebro service's variables (docs/deploy.md), each flag
winning over its variable:
  CORDYNA_PORT                   as --port
  CORDYNA_HTTP_PORT              as --http-port
  CORDYNA_HOST                   as --host
  CORDYNA_STORE                  as --store
  CORDYNA_REDIS_PREFIX           as --redis-prefix
  CORDYNA_TLS_CERT               as --tls-cert
  CORDYNA_TLS_KEY                as --tls-key
  CORDYNA_TLS_CLIENT_CA          as --tls-client-ca
  CORDYNA_AUTH                   as --auth
  CORDYNA_INSECURE_NO_AUTH       "true": as --insecure-no-auth
  CORDYNA_ADMIN_TOKEN            bearer token of the bootstrap admin, who
                                 creates the first credentials (at least 32
                                 characters; turns authentication on)
  CORDYNA_RUN_RETENTION          as --run-retention
  CORDYNA_MAX_FINISHED_RUNS      as --max-finished-runs
  CORDYNA_SERVER_RETENTION       as --server-retention
  CORDYNA_MAX_EVENTS             how many events are kept for WatchEvents to
                                 replay, the newest (default 200000)
  CORDYNA_MAX_EVENTS_PER_RUN     how many events of one run are kept, the
                                 newest; they go with the run (default 20000)
  CORDYNA_SERVER_LOST_GRACE_MS   how long a disconnected task-server instance
                                 keeps its attempts (default 5000)
  CORDYNA_HEARTBEAT_INTERVAL_MS  how often task-servers send heartbeats
                                 (default 5000)
  CORDYNA_PROGRESS_INTERVAL_MS   the least time between two heartbeats or
                                 progress reports of one attempt that are
                                 stored and published; those in between are
                                 merged, the latest winning (default 1000)
  CORDYNA_RECOVERY_WINDOW_MS     after a restart on Redis, how long restored
                                 attempts wait for their task-servers before
                                 SERVER_LOST or a deadline (default: the
                                 grace period + 2000)
  CORDYNA_MAX_RUN_DATA_BYTES     the most bytes of a run's params, and of a
                                 task-run's outputs (default 262144)
  CORDYNA_MAX_LOG_BYTES_PER_ATTEMPT
                                 the most bytes of log kept per attempt, the
                                 newest (default 1048576)
  CORDYNA_MAX_LOG_BYTES_PER_SECOND
                                 the most bytes of log lines one task-server
                                 stream may send a second (default 1048576)
  CORDYNA_MAX_CHAIN_LENGTH       the most tasks one chain of dependencies may
                                 hold, across servers (default 10000)
  CORDYNA_MAX_TASKS_PER_DECLARATION
                                 the most tasks one task-server may declare
                                 (default 10000)
  CORDYNA_MAX_CANDIDATES         the most change ids with candidate servers
                                 connected at once (default 32)
  CORDYNA_MAX_TASKS_PER_CANDIDATE
                                 the most tasks one candidate server may
                                 declare (default 1000)
  CORDYNA_METRICS_AUTH           "off": GET /metrics on the HTTP port answers
                                 anyone who reaches it (default "on": it
                                 needs a credential that may read, while
                                 authentication is on)
  CORDYNA_METRICS_MAX_LABEL_VALUES
                                 how many values the metric labels team and
                                 server take each; the rest count as "other"
                                 (default 100)
  CORDYNA_CONSOLE_URL            base URL of the run pages: notifications
                                 link to <base>/runs/<run id> (default: no
                                 link)
  CORDYNA_SMTP_URL               SMTP server of email notifications:
                                 smtp://user:password@host:587 (STARTTLS,
                                 required with a password) or
                                 smtps://user:password@host:465 (TLS)
                                 (default: no email)
  CORDYNA_NOTIFY_FROM            From address of email notifications, e.g.
                                 "Cordyna <cordyna@example.com>" (required
                                 with CORDYNA_SMTP_URL)
  CORDYNA_SMTP_CA                PEM file of the CA of a private SMTP
                                 server's certificate (default: the
                                 system's CAs)
  LOG_LEVEL                      level of cerebro's log on stderr: fatal,
                                 error, warn, info (default), debug, trace or
                                 silent
  OTEL_EXPORTER_OTLP_ENDPOINT    export traces over OTLP to this collector
                                 (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or
                                 OTEL_TRACES_EXPORTER); every other OTEL_*
                                 variable as the OpenTelemetry SDK reads it
                                 (default: no traces)

Exit codes: 0 stopped on a signal; 1 could not start (e.g. a port is
taken: the message names it); 2 usage error or a bad variable.`,

  check: `Usage: dyna check --declarations <file.json|-> [--allow <task|kind:task>]...
       dyna check --tasks <tasks.yaml> [--allow <task|kind:task>]...
       dyna check --candidate <change-id> [--allow <task|kind:task>]...
                  [--format text|json|github]

Checks a task-server's new declarations against cerebro's live graph before
they land: it takes the graph (ListTasks), puts the new declarations in
place of its server's, and judges the result as cerebro would. Reports
each breaking change per task it hits, grouped by the team that owns that
task, with its contact:

  removed     a task the server no longer declares (or renamed: removed and
              added) that others depend on, directly or further down
  cycle       a dependency that closes a cycle (cerebro would refuse the
              whole declaration); names the other teams' tasks on it
  ownership   a task id another server declares (refused as a whole)
  undeclared  a new dependency on a task no server declares: the task and
              everything downstream of it can no longer run
  freshness   a schedule that no longer keeps a downstream freshWithin met:
              its cron, in its time zone, now leaves a gap between two
              ticks longer than freshWithin (over the next 366 days), where
              the live schedule did not; a schedule removed counts too
  invalid     a declaration cerebro would refuse field by field

New tasks, removed tasks nobody depends on and other changes are listed as
not breaking. Params are not compared: declarations carry no param schema.

Flags:
  --declarations F  what a task-server printed with --print-declarations
                    (or CORDYNA_PRINT_DECLARATIONS=1); - reads stdin
  --tasks F         a dyna serve file, declared as dyna serve would
  --candidate ID    what the running candidate server of a change declared
                    (started with CORDYNA_CANDIDATE=ID), read from cerebro
  --allow A         accept a break: a task id (every kind of break it
                    causes) or kind:task, e.g. removed:a.old (repeat)
  --format F        text (default), json (same as --json), or github:
                    GitHub Actions annotations (::error per break)
${COMMON}

Exit codes: 0 no breaking change (or each one allowed); 1 a breaking change
not allowed; 2 usage or an unreadable file; 3 cerebro unreachable or
refusing (no candidate of the change connected). CI: docs/ci.md.`,

  serve: `Usage: dyna serve <tasks.yaml> [--cerebro host:port] [--check] [--instance-id ID]

Runs a task-server whose tasks are commands, declared in a YAML file: a
server: block (name, team, contact) and a tasks: list, each task with its
declaration (dependsOn, deadlines, retry, schedule...) and its command:

  tasks:
    - id: r.render
      command: ["python3", "render.py", "--day", "{{day}}"]   # or shell: "..."
      cwd: ./reports                                           # relative to the file

Each attempt runs the command in its own process group, with the run's
params as CORDYNA_PARAM_<NAME> variables and {{name}} placeholders. Exit 0
is COMPLETED; anything else is ERROR described by the end of stderr. Output
is logged line by line. Cancel and deadlines end the whole process group
(SIGTERM, then SIGKILL after the task's killGrace). Runs until SIGINT or
SIGTERM, then drains: running commands may finish. Reference:
docs/command-tasks.md.

Flags:
  --check           check the file and exit (0 fine, 2 with the problems)
  --instance-id ID  this instance's id (default: name-host-pid-random)
  --cerebro host:port
                    cerebro's address (else $CORDYNA_ADDR, else
                    localhost:7070); its credential and TLS come from
                    $CORDYNA_TOKEN and $CORDYNA_TLS_* (no profile: a
                    task-server has a credential of its own)
  --json            with --check, print the result as JSON
  -h, --help        show this help

Exit codes: 0 stopped after a drain, or --check found no problem; 2 usage
error or a bad file (one line per problem: file, line, task, field); 3
cerebro refused the declarations (one line per problem).`,

  run: `Usage: dyna run <task> [<task>...] [flags]

Starts a run of the given target tasks, then follows it live. On a
terminal, a compact view redrawn in place: each task running with its
elapsed time, retrying (attempt, cause, time to the next try), away (its
instance disconnected: the grace period left before SERVER_LOST), waiting
and for what, failed with its cause and team, finished. Otherwise one line
per event (time, task, state, cause, server, detail): a retry shows as
RETRY with its cause and backoff, a cancel with its reason. At the end a
summary names every failed task with its cause and owning team and every
blocked task with what blocked it; the last line names the run's outcome
and the team of each failure (or the cancel's reason).

Flags:
  --downstream            also run everything downstream of the targets
  --without-upstream      take the targets' upstream tasks as satisfied
  --param k=v             a run parameter; repeat for more
  --mode test|normal      test mode runs tasks against test resources
  --idempotency-key K     starting twice with the same key returns the first run
  --no-follow             print the run id and return at once

${COMMON}

With --json, prints the final Run (or, with --no-follow, the started Run).

Exit codes: 0 the run SUCCEEDED (or was started, with --no-follow); 1 it
FAILED or was CANCELLED; 2 usage error; 3 cerebro unreachable or refused.`,

  test: `Usage: dyna test <task> [<task>...] [--candidate <change-id>] [flags]

Starts a test run (RUN_MODE_TEST) of the given tasks and follows it to its
end: every task runs in test mode, against its team's test resources, and
reuses no earlier completion. With --candidate, the change's candidate
server (one started with CORDYNA_CANDIDATE=<change-id>) stands in for its
server: its declarations replace that server's for this run only, it runs
that server's task-runs, and every other task-run goes to its owners'
normal servers. Then one table per owning team: each task-run PASS
(completed) or FAIL (failed, blocked or cancelled, with why), the
candidate's marked, and a line that counts the failures.

Flags:
  --candidate ID          the change id whose candidate server to test
  --downstream            also test everything downstream of the targets
  --param k=v             a run parameter; repeat for more

${COMMON}

With --json, prints the final Run.

Exit codes: 0 every task-run passed; 1 any failed (or the run was
cancelled); 2 usage error; 3 cerebro unreachable or refused (no candidate
of the change connected, or a candidate without test mode).`,

  backfill: `Usage: dyna backfill <task> --from <time> --to <time> [flags]

Starts one run of a scheduled task for every tick of its cron schedule from
--from to --to (both included), computed in the schedule's time zone, as if
the schedule had fired then. Each run gets the tick as its logical time
(tasks see it as the "logical_time" parameter) and is followed to its end.
Prints one line per tick (logical time, run id, final state) and a summary.

Times are RFC 3339 / ISO 8601: a date-time with an offset
(2026-06-01T00:00:00Z, 2026-06-01T02:00:00+02:00) or a date alone, meaning
midnight UTC (2026-06-01).

Each tick's run is started with the idempotency key
"backfill:<task>:<tick in ms since the epoch>", so running the same backfill
again returns the runs already started (and follows those not yet finished)
instead of starting new ones. Stopping dyna leaves started runs running. A
tick whose run failed keeps that run on a re-run.

Flags:
  --from T            the first logical time (required)
  --to T              the last logical time (required)
  --parallel N        at most N runs unfinished at once (default 1)
  --max-ticks N       refuse ranges with more than N ticks (default 1000)
  --param k=v         a run parameter for every run; repeat for more
  --mode test|normal  test mode runs tasks against test resources

${COMMON}

With --json, prints the list of final Runs, in tick order.

Exit codes: 0 every run SUCCEEDED (or there was no tick in the range); 1 a
run FAILED, was CANCELLED or did not finish; 2 usage error, unknown task or
a task without a cron schedule; 3 cerebro unreachable or refused.`,

  tasks: `Usage: dyna tasks [--quiet] [flags]

Lists every task: id, server, owning team, upstream tasks with their
condition, cron schedule (expression and time zone) and when it fires next,
connected instances, whether it is resolved (or why not), and its last
completion. With -q, --quiet: only the ids, one per line (for scripts and
shell completion).

For a "fresh within" upstream, says whether the condition holds now, from
the upstream's last completion: "a.x (fresh 1h: fresh, done 12m ago)" (a run
would reuse that completion), "(fresh 1h: stale, done 3h ago)" or
"(fresh 1h: never completed)" (a run would run the upstream first).

${COMMON}`,

  servers: `Usage: dyna servers [flags]
       dyna servers forget <server-name> [flags]

Lists every task-server name with its connected instances: state, connected
since, running/max concurrency, agent, and the tasks it declares. A name
with no instance connected for longer than cerebro's server retention
(CORDYNA_SERVER_RETENTION, default 24h) is no longer listed, but its tasks
stay declared.

"forget" removes a server name's declarations from the graph and from the
store, e.g. for a server gone for good. Cerebro refuses while an instance of
it is connected. Other servers' tasks that depend on its tasks become
unresolved.

${COMMON}`,

  teams: `Usage: dyna teams [flags]
       dyna teams set <team> --notify kind:target... [--clear] [flags]

Lists every team cerebro knows (owning a declared task, or having routes):
its notification routes, where it is told without any (its tasks' contacts
that are email addresses), and its tasks' contacts. A Slack URL is listed by
its origin only; webhook signing secrets are never listed.

"set" adds routes to the team's (a route it has already is kept, with its
secret); with --clear it replaces them, and --clear alone removes them all.
Admins may set any team's routes, operators their own team's. A new webhook
route's signing secret is printed once: keep it for the receiver.

Flags:
  --notify kind:target  webhook:<https URL>, slack:<https URL> (a Slack
                        incoming webhook) or email:<address>; repeat for
                        several, at most 10 a team. http:// only to a
                        loopback address
  --clear               remove the team's current routes first

${COMMON}`,

  runs: `Usage: dyna runs [--limit N] [--page TOKEN] [flags]
       dyna runs <run-id> [flags]

Without a run id: the most recent runs, newest first, with state, targets,
creation time, duration and counts (completed/failed/blocked/skipped), a
page at a time; when more runs follow, the last line says how to see them.
With a run id: that run with each task-run (task, state, attempts, cause,
and the type of error a task reported), the outputs of each task-run (for a
command task each attempt's exit code and the end of its output, for a
failed attempt the details its task reported about its error), its summary,
and its OpenTelemetry trace
id when cerebro exports traces (docs/observability.md). "dyna run-status
<run-id>" does the same.

Cerebro keeps finished runs for its run retention only (by default 30 days
and the newest 100,000): older ones are no longer listed or found.

Flags:
  --limit N     at most N runs per page (default 50, at most 1000)
  --page TOKEN  the page that follows the one whose last line gave TOKEN
  -q, --quiet   only the run ids of the page, one per line

${COMMON}`,

  logs: `Usage: dyna logs <run-id> [<task>] [--attempt N] [--follow] [flags]

What the run's attempts logged, as cerebro keeps it: each line a handler
logged through the SDK's logger (ctx.logger), and each line a command of
"dyna serve" printed (marked stdout or stderr). With a task: that task-run's
latest attempt (or attempt N); without: every task-run's, each line
prefixed by its task. Cerebro keeps the newest 1 MiB of each attempt (its
CORDYNA_MAX_LOG_BYTES_PER_ATTEMPT); a first line says how many earlier
lines were dropped. Logs go when their run goes (the run retention).

Flags:
  --attempt N   attempt N (from 1) instead of the latest
  -f, --follow  print lines as they come, until the attempt has ended
                (without a task: until the run has finished and every
                attempt it started has ended)

${COMMON}`,

  events: `Usage: dyna events [--run R] [--since CURSOR] [--team T] [--last N] [--follow] [flags]

What happened in cerebro, one line per event: time, cursor, run, kind, what.
Every state change of a run is an event, stored with the run; each has a
cursor, which says where to go on from.

Without --run or --since: the newest N events (--last, default 20).
With --run: that run's events from its first, as "dyna run" shows them; the
run's end ends the command.
With --since CURSOR: every stored event after that cursor.
The last line (on stderr) says how to go on from the last event shown.

Flags:
  --run R         only the events of run R
  --since CURSOR  only events after CURSOR (the second column of a line)
  --team T        only events that concern team T (its task-runs, runs with
                  them, its servers)
  --last N        begin with the newest N stored events (at most 1000)
  -f, --follow    then go on showing events as they happen, until Ctrl-C (or,
                  with --run, until the run ends)
  --json          one JSON object per event and line

${COMMON}`,

  history: `Usage: dyna history <task> [--limit N] [--page TOKEN] [flags]

The task's past task-runs, newest first: when each started (its first
invoke), how long it took, its outcome, how many attempts, its run, and the
cause of a failure, what blocked it or why it was cancelled. Only the runs
cerebro still keeps (its run retention) are listed.

Flags:
  --limit N     at most N task-runs per page (default 50, at most 1000)
  --page TOKEN  the page that follows the one whose last line gave TOKEN

${COMMON}`,

  "run-status": `Usage: dyna run-status <run-id> [flags]

One run with each task-run (task, state, attempts, cause) and its summary.
Same as "dyna runs <run-id>".

${COMMON}`,

  graph: `Usage: dyna graph [flags]

The global task graph as a tree: tasks with no upstream at the left margin,
their downstream tasks below them. Each task shows its server and team;
unresolved tasks are marked with the reason. Indentation stops at 32
levels: deeper tasks are drawn there, marked with their depth.

${COMMON}`,

  cancel: `Usage: dyna cancel <run-id> [--reason R] [flags]

Cancels a run's pending and running task-runs. Cancelling a finished run
changes nothing.

Flags:
  --reason R    why, recorded with the cancellation

${COMMON}`,

  version: `Usage: dyna version [flags]
       dyna --version

Prints this dyna's version and the protocol it speaks, then cerebro's, as
its health check tells (no credential needed), and the profile in use.
When cerebro does not answer, says why and still exits 0.

${COMMON}`,

  completion: `Usage: dyna completion bash|zsh

Prints a script that completes dyna's commands and flags in the shell, and
task and run ids as cerebro knows them (through "dyna tasks --quiet" and
"dyna runs --quiet", with the --cerebro and --profile of the command line).

  bash, in this shell:   source <(dyna completion bash)
  bash, every shell:     dyna completion bash > ~/.local/share/bash-completion/completions/dyna
  zsh, in this shell:    source <(dyna completion zsh)     (after compinit)
  zsh, every shell:      dyna completion zsh > "\${fpath[1]}/_dyna"`,

  profiles: `Profiles: where cerebro is and how to reach it, by name.

dyna reads $XDG_CONFIG_HOME/cordyna/config.toml, else
~/.config/cordyna/config.toml (TOML):

  default_profile = "staging"        # used when no profile is named

  [profiles.staging]
  address = "cerebro.staging.example.com:7070"
  tls = true                         # on with the system's CAs
  tls_ca = "~/certs/staging-ca.pem"  # a private CA (turns TLS on)
  token_file = "~/.config/cordyna/staging.token"

  [profiles.local]
  address = "localhost:7070"

Each profile may set: address, tls (true/false), tls_ca, tls_client_cert
and tls_client_key (mTLS), token or token_file. File names may start with
~/; relative ones start at the config file's folder. Keep a file with a
token readable by you alone.

Which profile: --profile NAME, else $CORDYNA_PROFILE, else default_profile,
else none. Each setting: the flag (--cerebro), else its variable
(CORDYNA_ADDR, CORDYNA_TOKEN; for TLS any CORDYNA_TLS* replaces all of the
profile's TLS settings), else the profile, else the default. Commands that
call cerebro's API take a profile; dev, serve and conformance do not.

A mistake in the file stops dyna with exit code 2, naming the file, the
line and what is wrong.`,

  conformance: `Usage: dyna conformance --server <name> --task <quick task> --slow-task <slow task>
                        [--timeout-ms N] [--json]
                        [--tls-cert FILE --tls-key FILE [--tls-ca FILE]
                         [--tls-client-cert FILE --tls-client-key FILE]]
                        -- <command...>

Checks a task-server implementation, in any language, against the rules of
the task-server protocol. Plays cerebro on a free loopback port and starts
<command> with CORDYNA_ADDR pointing at it and CORDYNA_TOKEN set to a fresh
token; the command must be the server process itself (it gets SIGTERM),
declaring both tasks. Prints one line per rule, PASS or FAIL with the reason:

  hello                   the first message is a Hello with the server name,
                          an instance id, protocol 1.x and both tasks, each
                          with an owner team
  ack-deadline            an Invoke is answered by QUEUED or STARTED within
                          the deadline, then COMPLETED; seq 1, 2, 3... per stream
  legal-order             per attempt only QUEUED → STARTED → COMPLETED|ERROR,
                          nothing after a final state
  duplicate-invoke        the same Invoke sent twice runs once
  cancel                  a Cancel ends the attempt (ERROR, or no longer
                          listed in the next Heartbeat)
  heartbeat               Heartbeats come within 3 × the interval of the
                          Welcome and list running attempts
  resend-after-reconnect  updates not acknowledged when the stream is cut are
                          resent on the new stream, numbered from 1
  clean-drain             on SIGTERM: Drain, the running attempt reported,
                          the stream closed, exit code 0
  bearer-token            every stream carries authorization: Bearer
                          $CORDYNA_TOKEN, as a cerebro with authentication
                          requires

Flags:
  --server NAME   the server name the Hello must carry (required)
  --task ID       a task that completes quickly (required)
  --slow-task ID  a task that runs at least 2 s and stops when cancelled
                  (required)
  --timeout-ms N  ack deadline and bound for honouring a Cancel (default
                  10000); completing, reconnecting and draining get 3 × N
  --json          print the report as one JSON document
  -h, --help      show this help

TLS (all PEM files; without --tls-cert the kit serves plaintext):
  --tls-cert FILE, --tls-key FILE
                  the kit serves TLS with this certificate, which must name
                  127.0.0.1 (the address in CORDYNA_ADDR); the command gets
                  CORDYNA_TLS=on
  --tls-ca FILE   the CA that signed it, given to the command as
                  CORDYNA_TLS_CA (without it: the system's CAs)
  --tls-client-cert FILE, --tls-client-key FILE
                  given to the command as CORDYNA_TLS_CLIENT_CERT and
                  CORDYNA_TLS_CLIENT_KEY; the kit then requires a client
                  certificate signed by --tls-ca, as cerebro does with
                  --tls-client-ca (mTLS)
The command gets the CORDYNA_TLS* variables from these flags only: any in
dyna's own environment are not passed on, so they match what the kit serves.

Examples:
  dyna conformance --server my-server --task my.quick --slow-task my.slow \\
    -- node dist/server.js

  dyna conformance --server my-server --task my.quick --slow-task my.slow \\
    --tls-cert kit.pem --tls-key kit.key --tls-ca ca.pem \\
    --tls-client-cert client.pem --tls-client-key client.key \\
    -- ./my-server

Exit codes: 0 every rule passed; 1 a rule failed; 2 usage error.`,
};

/** The top-level help: what dyna is and its commands. */
export const MAIN_HELP = `dyna — the Cordyna command line

Usage: dyna <command> [args] [flags]

Commands:
  dev                     start cerebro in this process (in memory or on Redis)
  serve <tasks.yaml>      run the commands a YAML file declares as a task-server
  run <task>...           start a run and follow it to its end
  test <task>...          a test run, with a change's candidate (--candidate); pass/fail per team
  backfill <task>         one run per cron tick of a time range
  runs [<run-id>]         list recent runs, or show one run in full
  run-status <run-id>     show one run in full (same as "runs <run-id>")
  logs <run-id> [<task>]  show (or --follow) what a run's attempts logged
  cancel <run-id>         cancel a run
  events                  show events: the newest, a run's, or after a cursor; --follow
  history <task>          list a task's past task-runs with durations and outcomes
  tasks                   list every task and whether it can run
  servers                 list task-servers and their instances
  servers forget <name>   remove a gone server's declarations
  graph                   show the global task graph as a tree
  teams [set <team>]      list teams and their notification routes, or set a team's
  check                   what a server's new declarations would break, before they land
  conformance -- <cmd>    check a task-server implementation against the protocol
  auth token create|list|revoke, auth whoami
                          manage credentials (admins); show who cerebro takes you for
  audit                   show the audit trail: mutating calls and refusals
  health                  check that cerebro serves (no credential needed)
  version                 show dyna's version, and cerebro's (also: --version)
  completion bash|zsh     print a shell completion script
  help [<command>]        show help ("dyna help profiles": the config file)

${COMMON}

Run "dyna <command> --help" for a command's flags.`;

/** Prints a command's help (or the top-level help) to stdout. */
export function printHelp(io: { out(text: string): void }, command?: string): number {
  io.out((command === undefined ? undefined : COMMAND_HELP[command]) ?? MAIN_HELP);
  return 0;
}
