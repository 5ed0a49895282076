//! Settings: environment variables, each also a flag of `rpl-workup serve`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// rpl-workup: the recurrent pregnancy loss workup service.
#[derive(Debug, Parser)]
#[command(name = "rpl-workup", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve(Box<ServeArgs>),
    /// Run the pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Print the OpenAPI document.
    Openapi,
    /// Mint a token with the configured shared secret (RPL_JWT_SECRET).
    Token(TokenArgs),
    /// Seed synthetic patients (histories, results, reviews) with worklist summaries, for
    /// benchmarks and demos. Never real data.
    Seed(SeedArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// How many patients to add.
    #[arg(long, default_value_t = 1000)]
    pub patients: u32,
    /// The clinic (`org`) they belong to.
    #[arg(long, default_value = "bench-clinic")]
    pub org: String,
    /// Patients per transaction.
    #[arg(long, default_value_t = 1000)]
    pub batch: u32,
    /// Random seed (the same seed gives the same histories and results).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://PATH` (embedded; WAL, foreign keys on) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://rpl-workup.db")]
    pub database_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PublicKeyAlgorithm {
    Rs256,
    Es256,
}

#[derive(Debug, Clone, Args)]
pub struct JwtArgs {
    /// HS256 shared secret (at least 32 bytes).
    #[arg(long, env = "RPL_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// PEM public key of the clinic's identity provider (RS256 or ES256).
    #[arg(long, env = "RPL_JWT_PUBLIC_KEY_FILE", conflicts_with = "jwt_secret")]
    pub jwt_public_key_file: Option<PathBuf>,
    /// Algorithm of the public key (pinned; never read from the token). Default: from the key type.
    #[arg(long, env = "RPL_JWT_ALGORITHM", value_enum)]
    pub jwt_algorithm: Option<PublicKeyAlgorithm>,
    /// Required `aud` claim.
    #[arg(long, env = "RPL_JWT_AUDIENCE", default_value = "rpl-workup")]
    pub jwt_audience: String,
    /// Required `iss` claim, when set.
    #[arg(long, env = "RPL_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (`:0` picks a free port and logs it).
    #[arg(long, env = "RPL_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub jwt: JwtArgs,
    /// JSON file of allow-listed CDS Hooks clients (EHR issuers and their keys).
    #[arg(long, env = "RPL_CDS_CLIENTS_FILE")]
    pub cds_clients_file: Option<PathBuf>,
    /// The service's external base URL, for CDS Hooks `aud` checks behind a proxy.
    #[arg(long, env = "RPL_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Body limit for JSON requests, in bytes.
    #[arg(long, env = "RPL_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit: usize,
    /// Body limit for FHIR Bundles and HL7 batches, in bytes.
    #[arg(long, env = "RPL_BULK_BODY_LIMIT", default_value_t = 10 * 1024 * 1024)]
    pub bulk_body_limit: usize,
    /// Database connections in the pool.
    #[arg(long, env = "RPL_POOL_SIZE", default_value_t = 10)]
    pub pool_size: u32,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "RPL_WORKERS")]
    pub workers: Option<usize>,
    /// Patients re-evaluated per transaction when a clinic's default profile changes.
    #[arg(long, env = "RPL_REEVALUATION_CHUNK", default_value_t = 50)]
    pub reevaluation_chunk: i64,
    /// Pause between two chunks of a clinic re-evaluation, in milliseconds.
    #[arg(long, env = "RPL_REEVALUATION_PAUSE_MS", default_value_t = 20)]
    pub reevaluation_pause_ms: u64,
    /// How long the worklist summaries a bulk lab message deferred wait before the background
    /// worker re-evaluates them, in milliseconds (messages meanwhile share one evaluation).
    #[arg(long, env = "RPL_DEFERRED_SETTLE_MS", default_value_t = 250)]
    pub deferred_settle_ms: u64,
    /// Base of every FHIR canonical URL (`PlanDefinition.url`, our code systems and extensions);
    /// default `RPL_PUBLIC_URL` + `/fhir/r4`, else `http://<listen address>/fhir/r4`.
    #[arg(long, env = "RPL_FHIR_BASE")]
    pub fhir_base: Option<String>,
    #[command(flatten)]
    pub mllp: MllpArgs,
}

/// The HL7 v2 MLLP listener (off unless `RPL_MLLP_LISTEN` is set).
#[derive(Debug, Clone, Args)]
pub struct MllpArgs {
    /// Address of the MLLP listener, e.g. `0.0.0.0:2575` (off when unset).
    #[arg(long, env = "RPL_MLLP_LISTEN")]
    pub mllp_listen: Option<String>,
    /// JSON list of MLLP senders: `[{"sending_facility", "org", "source", "cert_sha256"}]`.
    #[arg(long, env = "RPL_MLLP_CLIENTS_FILE")]
    pub mllp_clients_file: Option<PathBuf>,
    /// PEM server certificate chain for MLLP over TLS (required unless listening on loopback).
    #[arg(long, env = "RPL_MLLP_TLS_CERT_FILE")]
    pub mllp_tls_cert_file: Option<PathBuf>,
    /// PEM private key of that certificate.
    #[arg(long, env = "RPL_MLLP_TLS_KEY_FILE")]
    pub mllp_tls_key_file: Option<PathBuf>,
    /// PEM CA certificates client certificates must chain to (else they are only pinned by SHA-256).
    #[arg(long, env = "RPL_MLLP_TLS_CLIENT_CA_FILE")]
    pub mllp_tls_client_ca_file: Option<PathBuf>,
    /// Seconds a connection may stay silent before it is closed.
    #[arg(long, env = "RPL_MLLP_IDLE_TIMEOUT_SECS", default_value_t = 300)]
    pub mllp_idle_timeout_secs: u64,
}

impl Default for MllpArgs {
    fn default() -> Self {
        Self {
            mllp_listen: None,
            mllp_clients_file: None,
            mllp_tls_cert_file: None,
            mllp_tls_key_file: None,
            mllp_tls_client_ca_file: None,
            mllp_idle_timeout_secs: 300,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub jwt: JwtArgs,
    /// Role(s) of the token: clinician, lab, admin (repeat or comma-separate).
    #[arg(long, value_delimiter = ',', default_value = "clinician")]
    pub role: Vec<String>,
    /// The clinic (`org` claim).
    #[arg(long, default_value = "dev-clinic")]
    pub org: String,
    /// The subject (`sub` claim).
    #[arg(long, default_value = "dev-user")]
    pub sub: String,
    /// Lifetime, e.g. `3600s`, `8h`, `7d`.
    #[arg(long, default_value = "8h", value_parser = parse_ttl)]
    pub ttl: chrono::Duration,
}

impl ServeArgs {
    /// The settings from the environment alone (what `rpl-workup` with no subcommand uses).
    pub fn from_env() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            serve: ServeArgs,
        }
        Only::parse_from(["rpl-workup"]).serve
    }
}

fn parse_ttl(s: &str) -> Result<chrono::Duration, String> {
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = number.parse().map_err(|_| format!("not a duration: {s}"))?;
    let seconds = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        _ => return Err(format!("unknown unit in {s} (use s, m, h, d)")),
    };
    Ok(chrono::Duration::seconds(seconds))
}

/// `rpl-workup token`: a token signed with the configured shared secret.
pub fn mint_token(args: &TokenArgs) -> Result<String, String> {
    use crate::auth::{Authenticator, KeyConfig, Role};
    let secret = args.jwt.jwt_secret.as_ref().ok_or(
        "minting needs RPL_JWT_SECRET (in development mode, use a token printed at start-up)",
    )?;
    let auth = Authenticator::new(
        KeyConfig::Secret(secret.as_bytes().to_vec()),
        &args.jwt.jwt_audience,
        args.jwt.jwt_issuer.as_deref(),
    )?;
    let roles = args
        .role
        .iter()
        .map(|r| {
            Role::parse(r.trim())
                .ok_or_else(|| format!("unknown role '{r}' (clinician, lab, admin)"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    auth.mint(&args.sub, &args.org, &roles, args.ttl)
}
