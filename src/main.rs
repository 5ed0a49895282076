//! The binary: read settings, start telemetry, build the app, run it.

use std::process::ExitCode;

use clap::Parser;
use rpl_workup::config::{Cli, Command, ServeArgs};
use rpl_workup::{startup, storage, telemetry};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => serve(ServeArgs::from_env()),
        Some(Command::Serve(args)) => serve(*args),
        Some(Command::Migrate(args)) => migrate(&args.database_url),
        Some(Command::Openapi) => {
            println!(
                "{}",
                rpl_workup::startup::openapi_document()
                    .to_pretty_json()
                    .expect("serializable")
            );
            Ok(())
        }
        Some(Command::Seed(args)) => seed(&args),
        Some(Command::Token(args)) => {
            rpl_workup::config::mint_token(&args).map(|t| println!("{t}"))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("rpl-workup: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> Result<(), String> {
    telemetry::init();
    actix_web::rt::System::new().block_on(async move {
        let app = startup::Application::build(&args).map_err(|e| e.to_string())?;
        tracing::info!(address = %app.addr, "listening");
        if !app.dev_tokens.is_empty() {
            // The banner is for a person at a terminal: stderr, apart from the JSON logs.
            eprintln!(
                "\nDevelopment mode: no RPL_JWT_SECRET or RPL_JWT_PUBLIC_KEY_FILE configured."
            );
            eprintln!(
                "A secret was generated for this run; tokens for clinic 'dev-clinic' (12 h):"
            );
            for (role, token) in &app.dev_tokens {
                eprintln!("  {:<9} {token}", role.as_str());
            }
            eprintln!(
                "Serving on http://{}  (Swagger UI: http://{}/docs)",
                app.addr, app.addr
            );
            if let Some((_, token)) = app
                .dev_tokens
                .iter()
                .find(|(role, _)| *role == rpl_workup::auth::Role::Clinician)
            {
                eprintln!(
                    "Dashboard sign-in link: http://{}/app/#token={token}\n",
                    app.addr
                );
            }
        }
        if let Some(mllp) = app.mllp {
            actix_web::rt::spawn(mllp.run());
        }
        app.server.await.map_err(|e| e.to_string())
    })
}

fn seed(args: &rpl_workup::config::SeedArgs) -> Result<(), String> {
    let clinic = rpl_workup::domain::ids::ClinicId::parse(&args.org).map_err(str::to_owned)?;
    let backend = storage::Backend::from_url(&args.database.database_url)?;
    let pool = storage::build_pool(backend, 1);
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    storage::run_migrations(&mut conn)?;
    let plan = rpl_workup::seed::SeedPlan {
        clinic,
        patients: args.patients,
        batch: args.batch,
        rng_seed: args.seed,
    };
    let started = std::time::Instant::now();
    rpl_workup::seed::run_with_progress(&mut conn, &plan)?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "seeded {} patients for clinic '{}' in {seconds:.1} s ({:.0} patients/s)",
        args.patients,
        plan.clinic,
        f64::from(args.patients) / seconds.max(1e-3)
    );
    Ok(())
}

fn migrate(url: &str) -> Result<(), String> {
    telemetry::init();
    let backend = storage::Backend::from_url(url)?;
    let pool = storage::build_pool(backend, 1);
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    storage::run_migrations(&mut conn)?;
    println!("migrations are up to date");
    Ok(())
}
