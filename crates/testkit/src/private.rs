//! Private server processes for one test: a RabbitMQ node and a Redis of its own, which the
//! test may stop, kill and start again without disturbing the shared ones other tests use.
//!
//! Each lives in a temporary directory (data, logs, config) that survives its restarts and is
//! removed, with the process, when the handle is dropped. Every wait is on a condition with a
//! deadline (a port that accepts, a command that succeeds, a process that exited).
//!
//! The RabbitMQ node runs the installed scripts directly (`/usr/lib/rabbitmq/bin`, or
//! `TOCSIN_TEST_RABBITMQ_BIN`), not Debian's `/usr/sbin` wrappers: those switch to the
//! `rabbitmq` user and reset `HOME`, which would lose the node's private directory and cookie.

use std::fs::OpenOptions;
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};
use figment::Figment;
use figment::providers::Serialized;
use tocsin_bus::AmqpConfig;
use tocsin_runtime::Settings;
use tocsin_store::{RedisConfig, RedisStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use uuid::Uuid;

/// Environment variable naming the directory of the RabbitMQ scripts to run.
pub const ENV_RABBITMQ_BIN: &str = "TOCSIN_TEST_RABBITMQ_BIN";
const DEFAULT_RABBITMQ_BIN: &str = "/usr/lib/rabbitmq/bin";

/// How long a RabbitMQ node may take to boot or to stop (a loaded 2-core machine boots one in
/// about 5 s).
const RABBIT_PATIENCE: Duration = Duration::from_secs(60);
/// How long Redis may take to start (AOF replay included) or to exit.
const REDIS_PATIENCE: Duration = Duration::from_secs(20);
/// How often a port or a process is checked while waiting.
const POLL: Duration = Duration::from_millis(50);

/// A RabbitMQ node of one test: its own node name, AMQP and distribution ports, data, logs,
/// config and Erlang cookie, no plugins. Dropping it kills the node and removes its directory.
#[derive(Debug)]
pub struct PrivateRabbit {
    node: String,
    port: u16,
    dist_port: u16,
    dir: PathBuf,
    bin: PathBuf,
    child: Option<Child>,
}

impl PrivateRabbit {
    /// Boots a new node and waits until it accepts AMQP connections and `await_startup` passes.
    pub async fn start() -> anyhow::Result<Self> {
        let id = Uuid::new_v4().simple().to_string();
        let short = &id[..8];
        let dir = std::env::temp_dir().join(format!("tocsin-rabbit-{short}"));
        let mut rabbit = Self {
            node: format!("tocsin-{short}@localhost"),
            port: free_port()?,
            dist_port: free_port()?,
            bin: std::env::var_os(ENV_RABBITMQ_BIN)
                .map_or_else(|| PathBuf::from(DEFAULT_RABBITMQ_BIN), PathBuf::from),
            dir,
            child: None,
        };
        rabbit.prepare(&id)?;
        rabbit.start_again().await?;
        Ok(rabbit)
    }

    /// Writes the config, the (empty) plugin and env files and the cookie.
    fn prepare(&self, secret: &str) -> anyhow::Result<()> {
        std::fs::create_dir_all(self.dir.join("home"))
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        std::fs::write(
            self.dir.join("rabbitmq.conf"),
            format!(
                "listeners.tcp.default = 127.0.0.1:{}\nlog.console = false\n",
                self.port
            ),
        )?;
        // Empty: no plugins, and none of /etc/rabbitmq/rabbitmq-env.conf (the shared node's).
        std::fs::write(self.dir.join("enabled_plugins"), "")?;
        std::fs::write(self.dir.join("rabbitmq-env.conf"), "")?;
        // Erlang refuses a cookie others can read.
        let mut cookie = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o400)
            .open(self.dir.join("home/.erlang.cookie"))?;
        cookie.write_all(secret.to_uppercase().as_bytes())?;
        Ok(())
    }

    /// The node's name (`tocsin-<8 hex>@localhost`).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The AMQP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `amqp://guest:guest@127.0.0.1:<port>/%2f`.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    /// Bus settings for this node, patient enough to wait out a restart: requests wait up to
    /// 60 s for the broker, reconnects back off from 100 ms to 1 s.
    pub fn bus_config(&self) -> AmqpConfig {
        let mut config = AmqpConfig::new(self.url()).with_connection_name(self.node.clone());
        config.publish_timeout = Duration::from_secs(60);
        config.connect_timeout = Duration::from_secs(30);
        config.reconnect_initial = Duration::from_millis(100);
        config.reconnect_max = Duration::from_secs(1);
        config.attempt_timeout = Duration::from_secs(5);
        config
    }

    /// Whether the node's process is running.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Starts the (stopped) node again on the same data; returns once it is ready.
    pub async fn start_again(&mut self) -> anyhow::Result<()> {
        if self.child.is_some() {
            bail!("RabbitMQ node {} is already running", self.node);
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.out"))?;
        let mut command = Command::new(self.bin.join("rabbitmq-server"));
        self.env(&mut command)
            .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env("RABBITMQ_MNESIA_BASE", self.dir.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", self.dir.join("log"))
            .env("RABBITMQ_CONFIG_FILE", self.dir.join("rabbitmq.conf"))
            .env(
                "RABBITMQ_ENABLED_PLUGINS_FILE",
                self.dir.join("enabled_plugins"),
            )
            .env(
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
                "-kernel inet_dist_use_interface {127,0,0,1}",
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            // The script runs `erl` as a child: a group of their own lets Drop end both.
            .process_group(0);
        let child = command.spawn().with_context(|| {
            format!(
                "cannot run {}",
                self.bin.join("rabbitmq-server").to_string_lossy()
            )
        })?;
        self.child = Some(child);

        let give_up = Instant::now() + RABBIT_PATIENCE;
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                bail!(
                    "RabbitMQ node {} exited while booting ({status}):\n{}",
                    self.node,
                    self.log_tail()
                );
            }
            if tokio::net::TcpStream::connect(address).await.is_ok() {
                break;
            }
            if Instant::now() >= give_up {
                bail!(
                    "RabbitMQ node {} did not open port {} within {RABBIT_PATIENCE:?}:\n{}",
                    self.node,
                    self.port,
                    self.log_tail()
                );
            }
            tokio::time::sleep(POLL).await;
        }
        let timeout = give_up
            .saturating_duration_since(Instant::now())
            .as_secs()
            .max(1)
            .to_string();
        self.ctl(&["--timeout", &timeout, "await_startup"])
            .await
            .with_context(|| self.log_tail())
    }

    /// Stops the node gracefully (`rabbitmqctl stop`) and waits until its process has exited
    /// and its port refuses connections. Its data stays for [`PrivateRabbit::start_again`].
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            bail!("RabbitMQ node {} is not running", self.node);
        };
        let stopped = self.ctl(&["stop"]).await;
        // Only a child not yet reaped may be signalled: its id cannot have been reused.
        if let Err(error) = wait_for_exit(&mut child, RABBIT_PATIENCE).await {
            kill_group(&mut child);
            return Err(error.context(format!("stopping {}: {stopped:?}", self.node)));
        }
        wait_port_closed(self.port, RABBIT_PATIENCE).await
    }

    /// [`PrivateRabbit::stop`], then [`PrivateRabbit::start_again`].
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop().await?;
        self.start_again().await
    }

    /// Runs `rabbitmqctl -n <node> <args>` against this node.
    pub async fn ctl(&self, args: &[&str]) -> anyhow::Result<()> {
        let mut command = Command::new(self.bin.join("rabbitmqctl"));
        self.env(&mut command)
            .arg("-n")
            .arg(&self.node)
            .args(args)
            .stdin(Stdio::null());
        let what = format!("rabbitmqctl -n {} {}", self.node, args.join(" "));
        let output = tokio::task::spawn_blocking(move || command.output())
            .await?
            .with_context(|| format!("cannot run {what}"))?;
        if !output.status.success() {
            bail!(
                "{what} failed ({}): {} {}",
                output.status,
                String::from_utf8_lossy(&output.stdout).trim(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    }

    /// What the server and the CLI share: node name, cookie (via `HOME`), env file.
    fn env<'c>(&self, command: &'c mut Command) -> &'c mut Command {
        command
            .current_dir(&self.dir)
            .env("HOME", self.dir.join("home"))
            .env("RABBITMQ_NODENAME", &self.node)
            .env("RABBITMQ_CONF_ENV_FILE", self.dir.join("rabbitmq-env.conf"))
    }

    fn log_tail(&self) -> String {
        tail(&self.dir.join("server.out"))
    }
}

impl Drop for PrivateRabbit {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_group(&mut child);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A Redis of one test, with an append-only file fsynced on every write and no RDB snapshots,
/// so what it acknowledged survives a `kill -9`. Dropping it kills it and removes its directory.
#[derive(Debug)]
pub struct PrivateRedis {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl PrivateRedis {
    /// Starts `redis-server` on a free port and waits until it answers `PING`.
    pub async fn start() -> anyhow::Result<Self> {
        let short = Uuid::new_v4().simple().to_string()[..8].to_owned();
        let dir = std::env::temp_dir().join(format!("tocsin-redis-{short}"));
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let mut redis = Self {
            port: free_port()?,
            dir,
            child: None,
        };
        redis.start_again().await?;
        Ok(redis)
    }

    /// `redis://127.0.0.1:<port>/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A store on this Redis under `namespace`.
    pub async fn store(&self, namespace: &str) -> anyhow::Result<RedisStore> {
        let config = RedisConfig {
            namespace: namespace.to_owned(),
            pool_size: 4,
            ..RedisConfig::new(self.url())
        };
        Ok(RedisStore::connect(config).await?)
    }

    /// Whether the server process is running.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Starts the (killed) server again on the same directory; returns once the append-only
    /// file is replayed and it answers `PING`.
    pub async fn start_again(&mut self) -> anyhow::Result<()> {
        if self.child.is_some() {
            bail!("Redis on port {} is already running", self.port);
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.out"))?;
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&self.dir)
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .args(["--save", "", "--daemonize", "no"])
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("cannot run redis-server")?;
        self.child = Some(child);
        let give_up = Instant::now() + REDIS_PATIENCE;
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                bail!(
                    "redis-server exited at start ({status}):\n{}",
                    tail(&self.dir.join("server.out"))
                );
            }
            if ping(self.port).await {
                return Ok(());
            }
            if Instant::now() >= give_up {
                bail!(
                    "Redis on port {} did not answer within {REDIS_PATIENCE:?}:\n{}",
                    self.port,
                    tail(&self.dir.join("server.out"))
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Kills the server (`SIGKILL`, a crash: no shutdown, no final save) and waits until its
    /// port refuses connections.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            bail!("Redis on port {} is not running", self.port);
        };
        child.kill()?;
        wait_for_exit(&mut child, REDIS_PATIENCE).await?;
        wait_port_closed(self.port, REDIS_PATIENCE).await
    }

    /// [`PrivateRedis::kill`], then [`PrivateRedis::start_again`].
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.kill().await?;
        self.start_again().await
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Service settings for tests from `pairs` (`amqp_url`, `redis_url`, `namespace`, ...), with
/// the same test defaults as [`crate::TestBackends`] (API token, 2 s webhook timeout, ingest
/// HTTP on an ephemeral port, 5 s grace).
pub fn private_settings(pairs: &[(&str, String)]) -> anyhow::Result<Settings> {
    let mut map: std::collections::BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    map.entry("api_token".into())
        .or_insert_with(|| "test-token-0123456789".into());
    map.entry("webhook_timeout_ms".into())
        .or_insert_with(|| "2000".into());
    map.entry("ingest_addr".into())
        .or_insert_with(|| "127.0.0.1:0".into());
    map.entry("shutdown_grace_secs".into())
        .or_insert_with(|| "5".into());
    Ok(Settings::from_figment(
        Figment::new().merge(Serialized::defaults(map)),
    )?)
}

/// A port the kernel just handed out on 127.0.0.1 (free unless someone races for it), outside
/// the range `rabbitmqctl` listens on (35672-35682), which other tests' CLIs come and go in.
fn free_port() -> anyhow::Result<u16> {
    loop {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        if !(35_672..=35_682).contains(&port) {
            return Ok(port);
        }
    }
}

/// Whether a Redis answers `PING` on `port` (not while it is still loading its data).
async fn ping(port: u16) -> bool {
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        stream.write_all(b"*1\r\n$4\r\nPING\r\n").await?;
        let mut answer = [0_u8; 64];
        let n = stream.read(&mut answer).await?;
        Ok::<bool, std::io::Error>(answer[..n].starts_with(b"+PONG"))
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(1), attempt).await,
        Ok(Ok(true))
    )
}

/// Waits until `child` has exited.
async fn wait_for_exit(child: &mut Child, patience: Duration) -> anyhow::Result<()> {
    let give_up = Instant::now() + patience;
    loop {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        if Instant::now() >= give_up {
            bail!("process {} still running after {patience:?}", child.id());
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until nothing accepts connections on `port`.
async fn wait_port_closed(port: u16, patience: Duration) -> anyhow::Result<()> {
    let give_up = Instant::now() + patience;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_ok()
    {
        if Instant::now() >= give_up {
            bail!("port {port} still accepts connections after {patience:?}");
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(())
}

/// Kills the process group `child` leads (the script and its `erl`), then reaps `child`.
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// The last lines of a log, for error messages.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
